// The patient's page in English and Spanish. Procedure descriptions and reasons come from the API in the
// patient's language; these are the page's own words.
export type Lang = "en" | "es";

export const TEXT = {
  en: {
    title: "Your treatment plan", loading: "Loading your plan…", language: "Language",
    intro: (practice: string) => `${practice} prepared this plan for you. Please read it, then sign below.`,
    version: (quote: number, version: number) => `Quote ${quote} (version ${version})`,
    expires: "This link expires", procedure: "Procedure", tooth: "Tooth", fee: "Fee", insurance: "Insurance pays",
    you: "You pay", why: "Why", total: "Total", options: "Ways to pay", payInFull: "Pay in full",
    installments: "Installments", financing: "Financing", deferred: "Deferred interest",
    sign: "Sign", name: "Your full name", consent: "I have read this plan and agree to the treatment and costs shown.",
    draw: "Draw your signature in the box (mouse, finger or pen)", typed: "Use my typed name as my signature",
    clear: "Clear signature", submit: "Sign the plan", signed: "Thank you. Your signature is recorded.",
    signedAt: "Signed", needSignature: "Please draw your signature or choose to use your typed name.",
    needConsent: "Please confirm that you agree.", needName: "Please type your full name.",
    problem: "This link cannot be used", call: (phone: string) => `Please call the office${phone ? ` at ${phone}` : ""}.`,
    noInsurance: "No insurance payment expected",
  },
  es: {
    title: "Su plan de tratamiento", loading: "Cargando su plan…", language: "Idioma",
    intro: (practice: string) => `${practice} preparó este plan para usted. Léalo y firme al final.`,
    version: (quote: number, version: number) => `Presupuesto ${quote} (versión ${version})`,
    expires: "Este enlace vence", procedure: "Procedimiento", tooth: "Diente", fee: "Costo", insurance: "Paga el seguro",
    you: "Usted paga", why: "Por qué", total: "Total", options: "Formas de pago", payInFull: "Pago completo",
    installments: "Pagos a plazos", financing: "Financiamiento", deferred: "Interés diferido",
    sign: "Firmar", name: "Su nombre completo", consent: "Leí este plan y acepto el tratamiento y los costos indicados.",
    draw: "Dibuje su firma en el recuadro (ratón, dedo o lápiz)", typed: "Usar mi nombre escrito como firma",
    clear: "Borrar la firma", submit: "Firmar el plan", signed: "Gracias. Su firma quedó registrada.",
    signedAt: "Firmado", needSignature: "Dibuje su firma o elija usar su nombre escrito.",
    needConsent: "Confirme que está de acuerdo.", needName: "Escriba su nombre completo.",
    problem: "Este enlace no se puede usar", call: (phone: string) => `Llame al consultorio${phone ? ` al ${phone}` : ""}.`,
    noInsurance: "No se espera pago del seguro",
  },
} as const;

export const LOCALE: Record<Lang, string> = { en: "en-US", es: "es-US" };
