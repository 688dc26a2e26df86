import { Controller, Get } from '@nestjs/common';
import { type Health, HealthService } from './health.service.js';

@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  get(): Health {
    return this.health.check();
  }
}
