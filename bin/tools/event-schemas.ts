/** Writes docs/events/<detailType>.json from functions/adapters/event-schemas.ts (`npm run events:schemas`). */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { EVENT_DETAIL_SCHEMAS, eventJsonSchema } from "../../functions/adapters/event-schemas.ts";

const dir = join(import.meta.dirname, "..", "..", "docs", "events");
for (const detailType of Object.keys(EVENT_DETAIL_SCHEMAS) as (keyof typeof EVENT_DETAIL_SCHEMAS)[]) {
  writeFileSync(join(dir, `${detailType}.json`), `${JSON.stringify(eventJsonSchema(detailType), null, 2)}\n`);
  console.log(`docs/events/${detailType}.json`);
}
