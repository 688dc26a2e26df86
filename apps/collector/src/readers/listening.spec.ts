import { describe, expect, it } from 'vitest';
import { listensOn } from './listening.js';

// captured from a kube-router lab node (`ip netns exec lab-node1 cat /proc/net/tcp`)
const PROC_NET_TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     
   0: 0B0014AC:00B3 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 438647 1 000000004ecf05dc 100 0 0 10 0                    
   1: 0100007F:C383 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 438643 1 00000000aab5d98b 100 0 0 10 0                    
   2: 0100007F:C383 0100007F:EBAE 01 00000000:00000000 02:00000188 00000000     0        0 439438 2 00000000fc6d85b4 20 4 31 15 -1                   
`;

describe('listensOn', () => {
  it('finds a listening socket by port, and ignores established ones', () => {
    expect(listensOn(PROC_NET_TCP, 50051)).toBe(true);
    expect(listensOn(PROC_NET_TCP, 179)).toBe(true);
    expect(listensOn(PROC_NET_TCP, 60334)).toBe(false); // 0xEBAE: only an established peer port
    expect(listensOn('', 50051)).toBe(false);
  });
});
