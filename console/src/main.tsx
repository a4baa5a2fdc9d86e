import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { api, ok, setApiBase, useBearer } from "./api/client";
import type { Location, Page } from "./api/types";
import {
  clearSession, type ConsoleConfig, finishHostedUi, loadConfig, loadSession, type Session, signOutUrl,
} from "./auth";
import { type ConsoleContext, Ctx } from "./context";
import { type Route, href, useRoute } from "./router";
import { Kpis } from "./screens/Kpis";
import { Messages } from "./screens/Messages";
import { PatientScreen } from "./screens/Patient";
import { PlanScreen } from "./screens/Plan";
import { Schedule } from "./screens/Schedule";
import { SignIn } from "./screens/SignIn";
import { Worklist } from "./screens/Worklist";
import "./styles.css";
import { ErrorNote, Loading, Show, useLoad } from "./ui";

const NAV = [
  ["worklist", "Worklist"], ["schedule", "Schedule"], ["messages", "Messages"], ["kpis", "KPIs"],
] as const;

function Screen({ route }: { route: Route }) {
  const [first, id] = route.path;
  switch (first) {
    case "patients":
      return <PatientScreen patientId={id} />;
    case "plans":
      return <PlanScreen planId={id === "new" ? null : id} query={route.query} />;
    case "schedule":
      return <Schedule query={route.query} />;
    case "messages":
      return <Messages query={route.query} />;
    case "kpis":
      return <Kpis query={route.query} />;
    default:
      return <Worklist query={route.query} />;
  }
}

function Console({ session, config, onSignOut }: { session: Session; config: ConsoleConfig; onSignOut: () => void }) {
  const route = useRoute();
  const [locations] = useLoad(() => ok<Page<Location>>(api().GET("/locations", { params: { query: { limit: 100 } } })),
    [session.token]);
  const context = useMemo<ConsoleContext | null>(() => {
    if (locations.state !== "ok") return null;
    const items = locations.data.items;
    const zones = new Map(items.map((l) => [l.id, l.timezone]));
    return {
      session, locations: items, defaultLocation: items[0] ?? null,
      zoneOf: (id) => (id && zones.get(id)) || items[0]?.timezone || "UTC",
    };
  }, [locations, session]);
  const here = route.path[0] ?? "worklist";
  useEffect(() => {
    const title = NAV.find(([path]) => path === here)?.[1] ?? (here === "patients" ? "Patient" : "Plan");
    document.title = `${title} · Chairside`;
  }, [here]);
  const signOut = () => {
    clearSession();
    onSignOut();
    const url = signOutUrl(config);
    if (url) window.location.assign(url);
  };
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById("main")?.focus(); }}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Chairside</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([path, label]) => (
              <li key={path}>
                <a href={href(path)} aria-current={here === path ? "page" : undefined}>{label}</a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>{session.sub} · {session.role} · {session.org}</span>
          <button type="button" class="link" onClick={signOut}>Sign out</button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Show load={locations} what="your locations">
          {() => (context ? (
            <Ctx.Provider value={context}>
              <Screen route={route} />
            </Ctx.Provider>
          ) : null)}
        </Show>
      </main>
    </>
  );
}

function App() {
  const [config, setConfig] = useState<ConsoleConfig | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [session, setSession] = useState<Session | null>(loadSession);
  useBearer(() => session?.token ?? null, () => { clearSession(); setSession(null); });
  useEffect(() => {
    loadConfig().then(async (loaded) => {
      if (loaded.api_base) setApiBase(loaded.api_base);
      setConfig(loaded);
      if (loaded.mode === "cognito") {
        const finished = await finishHostedUi(loaded);
        if (finished) setSession(finished);
      }
    }).catch((exc) => setProblem(String(exc)));
  }, []);
  if (problem) return <main><ErrorNote error={{ message: problem, details: [], status: 0, code: "config" } as never} /></main>;
  if (!config) return <main><Loading what="the console" /></main>;
  if (!session) return <SignIn config={config} onSignedIn={setSession} />;
  return <Console session={session} config={config} onSignOut={() => setSession(null)} />;
}

render(<App />, document.getElementById("app")!);
