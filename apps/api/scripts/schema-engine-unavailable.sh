#!/bin/sh
# Stands in for Prisma's schema-engine binary, which cannot be downloaded on these machines
# (ENVIRONMENT.md). `npm run db:generate` points PRISMA_SCHEMA_ENGINE_BINARY here so that
# `prisma generate` (which never runs the engine) works offline; anything that does try to run it
# gets this message instead of a download error.
echo "Prisma's schema engine is not available here: migrations are SQL files applied by 'npm run db:migrate'." >&2
exit 1
