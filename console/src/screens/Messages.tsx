import { api, ok } from "../api/client";
import type { Message, Page } from "../api/types";
import { useConsole } from "../context";
import { day, localDate } from "../format";
import { go } from "../router";
import { Empty, Field, Section, Show, useLoad } from "../ui";
import { MessageTable } from "./Patient";
import { LocationPicker } from "./Worklist";

const WILL_GO = new Set(["planned", "sending", "unconfirmed"]);

export function Messages({ query }: { query: URLSearchParams }) {
  const { defaultLocation, zoneOf } = useConsole();
  const locationId = query.get("location") ?? defaultLocation?.id ?? "";
  const zone = zoneOf(locationId);
  const date = query.get("date") ?? localDate(zone, 1);
  const [load] = useLoad(() => ok<Page<Message>>(api().GET("/messages", {
    params: { query: { location_id: locationId, date, limit: 100 } } })), [locationId, date]);
  return (
    <>
      <h1>Outbox</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Day and location">
        <LocationPicker value={locationId} onChange={(id) => go("messages", { location: id, date })} />
        <Field label="Send date">{(id) => <input id={id} type="date" value={date}
          onChange={(e) => go("messages", { location: locationId, date: e.currentTarget.value })} />}</Field>
      </form>
      <Show load={load} what="the outbox">
        {(page) => {
          const going = page.items.filter((m) => WILL_GO.has(m.status));
          const held = page.items.filter((m) => !WILL_GO.has(m.status));
          return (
            <div class="grid">
              <Section title={`Will go on ${day(date)} (${going.length})`}>
                {going.length === 0 ? <Empty>Nothing planned to go out that day.</Empty> : <MessageTable messages={going} zone={zone} />}
              </Section>
              <Section title={`Sent, suppressed or cancelled (${held.length})`}>
                {held.length === 0 ? <Empty>No message held back that day.</Empty> : <MessageTable messages={held} zone={zone} />}
              </Section>
            </div>
          );
        }}
      </Show>
    </>
  );
}
