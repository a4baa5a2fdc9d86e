// The patient's signing page: public, reached by the link the practice sent. The token travels in the URL's
// fragment (#<token>), which browsers never send to a server, and only to GET|POST /sign/{token}.
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { dateTime, money } from "../format";
import "../styles.css";
import { LOCALE, type Lang, TEXT } from "./text";

type Line = { code: string; description: Record<Lang, string>; tooth: string | null; surfaces: string;
  fee_cents: number; insurance_cents: number; patient_cents: number; reasons: Record<Lang, string[]> };
type Quote = {
  plan_id: string; version: number; quote_number: number; language: Lang; expires_at: string; timezone: string;
  practice: { name: string; phone: string }; patient: { first_name: string };
  phases: { name: string; lines: Line[] }[];
  totals: { fee_cents: number; insurance_cents: number; patient_cents: number };
  options: { pay_in_full: { amount_cents: number; discount_pct: number } | null;
    in_house: { count: number; frequency: string; installment_cents: number; down_payment_cents: number; apr_bps: number }[];
    financing: { name: string; months: number; estimated_monthly_cents: number; deferred_interest: boolean; label: string }[] };
  content_hash: string; consent_text: Record<Lang, string>;
  signed: { signed_at: string; signer_name: string } | null;
};
type Problem = { message: string; code: string };

// Links are /console/s#<token> (short enough for an SMS); earlier ones were sign.html#t=<token>.
const fragment = window.location.hash.slice(1);
const token = fragment.startsWith("t=") ? new URLSearchParams(fragment).get("t") ?? "" : fragment;
let apiBase = "";

async function call<T>(method: string, body?: unknown): Promise<T> {
  const response = await fetch(`${apiBase}/sign/${encodeURIComponent(token)}`, {
    method, headers: body ? { "Content-Type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined,
  });
  const parsed = await response.json().catch(() => ({}));
  if (!response.ok) throw { message: parsed?.error?.message ?? `${response.status}`, code: parsed?.error?.code ?? "error" };
  return parsed as T;
}

function SignaturePad({ lang, typedName, useTyped, onChange }: {
  lang: Lang; typedName: string; useTyped: boolean; onChange: (dataUrl: string | null) => void;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);
  const drawn = useRef(false);
  const t = TEXT[lang];
  const context = () => {
    const ctx = canvas.current!.getContext("2d")!;
    ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
    return ctx;
  };
  const clear = () => {
    const c = canvas.current!;
    const ctx = context();
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, c.width, c.height);
    drawn.current = false;
    onChange(null);
  };
  useEffect(clear, []);
  useEffect(() => {
    if (!useTyped) return;
    clear();
    if (!typedName.trim()) return;
    const ctx = context();
    ctx.fillStyle = "#111"; ctx.font = "italic 34px Georgia, serif"; ctx.fillText(typedName.trim(), 16, 70);
    onChange(canvas.current!.toDataURL("image/png"));
  }, [useTyped, typedName]);
  const point = (e: PointerEvent) => {
    const box = canvas.current!.getBoundingClientRect();
    return [(e.clientX - box.left) * (canvas.current!.width / box.width), (e.clientY - box.top) * (canvas.current!.height / box.height)];
  };
  return (
    <div class="signature">
      <p id="pad-label">{t.draw}</p>
      <canvas ref={canvas} width={480} height={110} role="img" aria-labelledby="pad-label" class="pad"
        onPointerDown={(e) => { if (useTyped) return; drawing.current = true; canvas.current!.setPointerCapture(e.pointerId);
          const [x, y] = point(e); const ctx = context(); ctx.beginPath(); ctx.moveTo(x, y); }}
        onPointerMove={(e) => { if (!drawing.current) return; const [x, y] = point(e); const ctx = context(); ctx.lineTo(x, y); ctx.stroke(); drawn.current = true; }}
        onPointerUp={() => { drawing.current = false; if (drawn.current) onChange(canvas.current!.toDataURL("image/png")); }} />
      <button type="button" class="link" onClick={clear}>{t.clear}</button>
    </div>
  );
}

function QuoteView({ quote, lang }: { quote: Quote; lang: Lang }) {
  const t = TEXT[lang];
  const locale = LOCALE[lang];
  return (
    <>
      <p>{t.intro(quote.practice.name)}</p>
      <p class="muted">{t.version(quote.quote_number, quote.version)} · {t.expires} {dateTime(quote.expires_at, quote.timezone, locale)}</p>
      {quote.phases.map((phase) => (
        <section class="card" key={phase.name}>
          <h2>{phase.name}</h2>
          <div class="table-wrap" tabIndex={0}>
            <table>
              <thead><tr><th>{t.procedure}</th><th class="num">{t.fee}</th><th class="num">{t.insurance}</th><th class="num">{t.you}</th><th>{t.why}</th></tr></thead>
              <tbody>
                {phase.lines.map((line, i) => (
                  <tr key={i}>
                    <td>{line.description[lang]}{line.tooth ? ` · ${t.tooth} ${line.tooth}` : ""} <span class="muted">({line.code})</span></td>
                    <td class="num">{money(line.fee_cents, locale)}</td>
                    <td class="num">{money(line.insurance_cents, locale)}</td>
                    <td class="num">{money(line.patient_cents, locale)}</td>
                    <td>{line.reasons[lang].length ? line.reasons[lang].map((r) => <p key={r} class="reason">{r}</p>) : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
      <section class="card">
        <h2>{t.total}</h2>
        <dl class="facts">
          <dt>{t.fee}</dt><dd>{money(quote.totals.fee_cents, locale)}</dd>
          <dt>{t.insurance}</dt><dd>{money(quote.totals.insurance_cents, locale)}</dd>
          <dt>{t.you}</dt><dd><strong>{money(quote.totals.patient_cents, locale)}</strong></dd>
        </dl>
      </section>
      <section class="card">
        <h2>{t.options}</h2>
        <ul class="plain-list">
          {quote.options.pay_in_full && <li><strong>{t.payInFull}:</strong> {money(quote.options.pay_in_full.amount_cents, locale)} (−{quote.options.pay_in_full.discount_pct}%)</li>}
          {quote.options.in_house.map((o, i) => <li key={`i${i}`}><strong>{t.installments}:</strong> {money(o.down_payment_cents, locale)} + {o.count} × {money(o.installment_cents, locale)}</li>)}
          {quote.options.financing.map((f, i) => <li key={`f${i}`}><strong>{t.financing}:</strong> {f.name}, {f.months} × ~{money(f.estimated_monthly_cents, locale)}
            {f.deferred_interest && <span class="badge badge-warning">{t.deferred}</span>}<br /><small>{f.label}</small></li>)}
        </ul>
      </section>
    </>
  );
}

function SignForm({ quote, lang, onSigned }: { quote: Quote; lang: Lang; onSigned: (q: Quote) => void }) {
  const t = TEXT[lang];
  const [name, setName] = useState("");
  const [agree, setAgree] = useState(false);
  const [useTyped, setUseTyped] = useState(false);
  const [image, setImage] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const missing = !name.trim() ? t.needName : !image ? t.needSignature : !agree ? t.needConsent : null;
    if (missing) { setProblem(missing); return; }
    setBusy(true); setProblem(null);
    try {
      const signed = await call<{ signed_at: string; signer_name: string }>("POST", {
        signer_name: name.trim(), signature_png: image, consent: true, consent_text: quote.consent_text[lang],
        content_hash: quote.content_hash, version: quote.version, language: lang,
      });
      onSigned({ ...quote, signed });
    } catch (exc) {
      setProblem((exc as Problem).message);
    } finally { setBusy(false); }
  };
  return (
    <form class="card stack" onSubmit={submit} aria-labelledby="sign-title">
      <h2 id="sign-title">{t.sign}</h2>
      <div class="field"><label for="signer">{t.name}</label>
        <input id="signer" autocomplete="name" value={name} onInput={(e) => setName(e.currentTarget.value)} /></div>
      <label class="check"><input type="checkbox" checked={useTyped} onChange={(e) => setUseTyped(e.currentTarget.checked)} />{t.typed}</label>
      <SignaturePad lang={lang} typedName={name} useTyped={useTyped} onChange={setImage} />
      <p class="consent">{quote.consent_text[lang]}</p>
      <label class="check"><input type="checkbox" checked={agree} onChange={(e) => setAgree(e.currentTarget.checked)} />{t.consent}</label>
      {problem && <p class="note error" role="alert">{problem}</p>}
      <button type="submit" class="primary" disabled={busy}>{t.submit}</button>
    </form>
  );
}

function SignPage() {
  const [quote, setQuote] = useState<Quote | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [lang, setLang] = useState<Lang>(navigator.language.startsWith("es") ? "es" : "en");
  useEffect(() => {
    fetch("config.json").then((r) => r.json()).then((config) => { apiBase = (config.api_base ?? "").replace(/\/$/, ""); })
      .catch(() => {}).then(() => call<Quote>("GET")).then((q) => { setQuote(q); setLang(q.language); }, setProblem);
  }, []);
  useEffect(() => { document.documentElement.lang = lang; document.title = TEXT[lang].title; }, [lang]);
  const t = TEXT[lang];
  return (
    <main id="main" class="sign-page">
      <div class="sign-head">
        <h1>{t.title}</h1>
        <div class="field"><label for="lang">{t.language}</label>
          <select id="lang" value={lang} onChange={(e) => setLang(e.currentTarget.value as Lang)}>
            <option value="en">English</option><option value="es">Español</option>
          </select></div>
      </div>
      {problem ? (
        <div class="note error" role="alert"><strong>{t.problem}:</strong> {problem.message}
          <p>{t.call(quote?.practice.phone ?? "")}</p></div>
      ) : !quote ? <p role="status">{t.loading}</p> : (
        <>
          <QuoteView quote={quote} lang={lang} />
          {quote.signed ? (
            <p class="note success" role="status"><strong>{t.signed}</strong> {t.signedAt} {dateTime(quote.signed.signed_at, quote.timezone, LOCALE[lang])}.</p>
          ) : <SignForm quote={quote} lang={lang} onSigned={setQuote} />}
        </>
      )}
    </main>
  );
}

render(<SignPage />, document.getElementById("app")!);
