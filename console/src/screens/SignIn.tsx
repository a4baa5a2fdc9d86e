import { useEffect, useState } from "preact/hooks";
import { type ConsoleConfig, localOptions, localSignIn, type Session, type SignInOptions, startHostedUi } from "../auth";
import { Field, Loading } from "../ui";

function LocalSignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [options, setOptions] = useState<SignInOptions | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [org, setOrg] = useState("");
  const [role, setRole] = useState("coordinator");
  const [sub, setSub] = useState("coordinator-1");
  const [chosen, setChosen] = useState<string[]>([]);
  useEffect(() => {
    localOptions().then((loaded) => {
      setOptions(loaded);
      setOrg(loaded.groups[0]?.org ?? "");
    }).catch((exc) => setProblem(String(exc.message ?? exc)));
  }, []);
  if (problem && !options) return <p class="note error" role="alert">{problem}</p>;
  if (!options) return <Loading what="demo groups" />;
  const group = options.groups.find((g) => g.org === org);
  const submit = async (event: Event) => {
    event.preventDefault();
    setProblem(null);
    try {
      onSignedIn(await localSignIn(org, role, chosen.length ? chosen : ["*"], sub));
    } catch (exc) {
      setProblem(String((exc as Error).message ?? exc));
    }
  };
  return (
    <form onSubmit={submit} class="stack">
      <Field label="Demo group">
        {(id) => (
          <select id={id} value={org} onChange={(e) => setOrg(e.currentTarget.value)}>
            {options.groups.map((g) => <option key={g.org} value={g.org}>{g.name} ({g.org})</option>)}
          </select>
        )}
      </Field>
      <Field label="Role">
        {(id) => (
          <select id={id} value={role} onChange={(e) => setRole(e.currentTarget.value)}>
            {options.roles.map((r) => <option key={r} value={r}>{r.replace("_", " ")}</option>)}
          </select>
        )}
      </Field>
      <Field label="Your user name" hint="Recorded as the coordinator on what you do">
        {(id) => <input id={id} value={sub} onInput={(e) => setSub(e.currentTarget.value)} required />}
      </Field>
      <fieldset>
        <legend>Locations (none ticked: all of the group's)</legend>
        {group?.locations.map((l) => (
          <label key={l.id} class="check">
            <input type="checkbox" checked={chosen.includes(l.id)}
              onChange={(e) => setChosen(e.currentTarget.checked ? [...chosen, l.id] : chosen.filter((x) => x !== l.id))} />
            {l.name}
          </label>
        ))}
      </fieldset>
      {problem && <p class="note error" role="alert">{problem}</p>}
      <button type="submit" class="primary">Sign in</button>
    </form>
  );
}

export function SignIn({ config, onSignedIn }: { config: ConsoleConfig; onSignedIn: (session: Session) => void }) {
  useEffect(() => { document.title = "Sign in · Chairside"; }, []);
  return (
    <main id="main" class="signin">
      <h1>Chairside</h1>
      <p>The treatment coordinator's console.</p>
      {config.mode === "cognito" ? (
        <button type="button" class="primary" onClick={() => startHostedUi(config)}>Sign in with your clinic account</button>
      ) : (
        <>
          <p class="muted">Local stack: pick a demo group, a role and locations. This sign-in exists only in
            <code> chairside run</code>.</p>
          <LocalSignIn onSignedIn={onSignedIn} />
        </>
      )}
    </main>
  );
}
