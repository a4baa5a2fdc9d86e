"""The patient's signing page in plain English and Spanish: what each kind of treatment is, why insurance
pays what it pays, and the consent the patient signs. Both languages go into what is shown (and hashed),
so switching the page's language never changes what the signature covers."""

from __future__ import annotations

from shared.domain.catalog import CATEGORIES

TREATMENT: dict[str, dict[str, str]] = {
    "diagnostic": {"en": "Exam and diagnosis", "es": "Examen y diagnóstico"},
    "xray": {"en": "X-rays", "es": "Radiografías"},
    "preventive": {"en": "Cleaning and prevention", "es": "Limpieza y prevención"},
    "restorative": {"en": "Filling or repair", "es": "Empaste o reparación"},
    "crowns": {"en": "Crown", "es": "Corona"},
    "endodontics": {"en": "Root canal treatment", "es": "Tratamiento de conducto"},
    "periodontics": {"en": "Gum treatment", "es": "Tratamiento de encías"},
    "prosthodontics": {"en": "Denture or bridge", "es": "Dentadura o puente"},
    "implants": {"en": "Implant", "es": "Implante"},
    "oral_surgery": {"en": "Oral surgery", "es": "Cirugía oral"},
    "orthodontics": {"en": "Orthodontics", "es": "Ortodoncia"},
    "adjunctive": {"en": "Other care", "es": "Otros cuidados"},
}
assert set(TREATMENT) == set(CATEGORIES)

WHY: dict[str, dict[str, str]] = {
    "excluded": {"en": "Your insurance does not cover this procedure.",
                 "es": "Su seguro no cubre este procedimiento."},
    "age": {"en": "You are past your insurance's age limit for this procedure.",
            "es": "Usted superó el límite de edad de su seguro para este procedimiento."},
    "waiting_period": {"en": "Your insurance's waiting period for this treatment has not ended.",
                       "es": "El periodo de espera de su seguro para este tratamiento no ha terminado."},
    "frequency": {"en": "Your insurance already paid for this as often as it allows for now.",
                  "es": "Su seguro ya pagó esto tantas veces como permite por ahora."},
    "alternate_benefit": {"en": "Your insurance pays as for a less costly option; you pay the difference.",
                          "es": "Su seguro paga como por una opción más económica; usted paga la diferencia."},
    "copay": {"en": "Your insurance asks a fixed copay for this procedure.",
              "es": "Su seguro pide un copago fijo por este procedimiento."},
    "deductible": {"en": "Part of your yearly deductible is paid on this procedure.",
                   "es": "Parte de su deducible anual se paga con este procedimiento."},
    "code_max": {"en": "Your insurance's yearly limit for this procedure is reached.",
                 "es": "Se alcanzó el límite anual de su seguro para este procedimiento."},
    "annual_max": {"en": "Your insurance's yearly maximum is reached, so it pays less.",
                   "es": "Se alcanzó el máximo anual de su seguro, por eso paga menos."},
    "ortho_max": {"en": "Your lifetime orthodontic maximum is reached.",
                  "es": "Se alcanzó su máximo de ortodoncia de por vida."},
    "cob": {"en": "Your second insurance pays part of what the first does not.",
            "es": "Su segundo seguro paga parte de lo que el primero no cubre."},
}
NO_INSURANCE = {"en": "No insurance on file: you pay the full fee.",
                "es": "No tenemos su seguro registrado: usted paga el costo completo."}

CONSENT = {
    "en": ("I have reviewed this treatment plan and its estimated costs with {practice}. I understand that "
           "insurance amounts are estimates, that I am responsible for what insurance does not pay, and I agree "
           "to the treatment and the costs shown above (quote {quote}, version {version})."),
    "es": ("Revisé este plan de tratamiento y sus costos estimados con {practice}. Entiendo que los montos del "
           "seguro son estimados, que soy responsable de lo que el seguro no pague, y acepto el tratamiento y "
           "los costos indicados arriba (presupuesto {quote}, versión {version})."),
}


def treatment(category: str) -> dict[str, str]:
    return TREATMENT.get(category, TREATMENT["adjunctive"])


def why(limits: list[str], insured: bool) -> dict[str, list[str]]:
    """The reasons, in each language, behind what insurance pays on one line."""
    if not insured:
        return {lang: [NO_INSURANCE[lang]] for lang in ("en", "es")}
    known = [limit for limit in limits if limit in WHY]
    return {lang: [WHY[limit][lang] for limit in known] for lang in ("en", "es")}


def consent(practice: str, quote: int, version: int) -> dict[str, str]:
    return {lang: text.format(practice=practice, quote=quote, version=version) for lang, text in CONSENT.items()}
