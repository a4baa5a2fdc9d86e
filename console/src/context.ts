// What every screen of the console may read: the session and the locations the caller may see.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Location } from "./api/types";
import type { Session } from "./auth";

export type ConsoleContext = {
  session: Session;
  locations: Location[];
  /** The location the screens start on (the first the caller may see). */
  defaultLocation: Location | null;
  zoneOf: (locationId: string | null | undefined) => string;
};

export const Ctx = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const value = useContext(Ctx);
  if (!value) throw new Error("useConsole outside the signed-in console");
  return value;
}
