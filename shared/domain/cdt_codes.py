"""The shipped CDT procedure table: common ADA CDT codes with short descriptors and default fees.

Each row is (code, short descriptor, default fee in cents, tooth rule, surface rule). Fees are plausible
US general-practice fees, used only when a location's fee schedule has no entry for the code.

Tooth rule: "required" (the code is per tooth or per site), "optional" (per quadrant, arch or visit, but a
coordinator may record a representative tooth, since plans carry no quadrant field) or "not_applicable"
(whole mouth or per visit). Surface rule: (minimum, maximum) count of surfaces, maximum None meaning no
upper bound; (0, 0) means surfaces do not apply. The count is the one the descriptor implies, e.g. D2392
"two surfaces" is (2, 2) and D2394 "four or more surfaces" is (4, None).

Descriptors follow the current CDT nomenclature in shortened form; catalog.py maps each code to its
insurance category by CDT range, so the category is not repeated here.
"""

from __future__ import annotations

from typing import Final

REQUIRED: Final = "required"
OPTIONAL: Final = "optional"
NOT_APPLICABLE: Final = "not_applicable"

NO_SURFACES: Final = (0, 0)
ANY_SURFACES: Final = (0, None)
ONE: Final = (1, 1)
TWO: Final = (2, 2)
THREE: Final = (3, 3)
THREE_PLUS: Final = (3, None)
FOUR_PLUS: Final = (4, None)

CdtRow = tuple[str, str, int, str, tuple[int, int | None]]

CDT_ROWS: Final[tuple[CdtRow, ...]] = (
    # Diagnostic: clinical oral evaluations
    ("D0120", "periodic oral evaluation - established patient", 6_500, NOT_APPLICABLE, NO_SURFACES),
    ("D0140", "limited oral evaluation - problem focused", 8_500, OPTIONAL, NO_SURFACES),
    ("D0145", "oral evaluation for a patient under three years of age", 6_500, NOT_APPLICABLE, NO_SURFACES),
    ("D0150", "comprehensive oral evaluation - new or established patient", 11_000, NOT_APPLICABLE,
     NO_SURFACES),
    ("D0160", "detailed and extensive oral evaluation - problem focused, by report", 16_000, OPTIONAL,
     NO_SURFACES),
    ("D0170", "re-evaluation - limited, problem focused", 6_500, OPTIONAL, NO_SURFACES),
    ("D0180", "comprehensive periodontal evaluation - new or established patient", 12_000, NOT_APPLICABLE,
     NO_SURFACES),
    # Diagnostic imaging (x-rays)
    ("D0210", "intraoral - comprehensive series of radiographic images", 15_000, NOT_APPLICABLE, NO_SURFACES),
    ("D0220", "intraoral - periapical first radiographic image", 3_500, OPTIONAL, NO_SURFACES),
    ("D0230", "intraoral - periapical each additional radiographic image", 3_000, OPTIONAL, NO_SURFACES),
    ("D0240", "intraoral - occlusal radiographic image", 4_500, NOT_APPLICABLE, NO_SURFACES),
    ("D0270", "bitewing - single radiographic image", 3_500, NOT_APPLICABLE, NO_SURFACES),
    ("D0272", "bitewings - two radiographic images", 5_500, NOT_APPLICABLE, NO_SURFACES),
    ("D0274", "bitewings - four radiographic images", 7_500, NOT_APPLICABLE, NO_SURFACES),
    ("D0330", "panoramic radiographic image", 13_000, NOT_APPLICABLE, NO_SURFACES),
    ("D0350", "2D oral/facial photographic image obtained intra-orally or extra-orally", 4_000,
     NOT_APPLICABLE, NO_SURFACES),
    ("D0367", "cone beam CT capture and interpretation, field of view of both jaws", 45_000, NOT_APPLICABLE,
     NO_SURFACES),
    ("D0701", "panoramic radiographic image - image capture only", 10_000, NOT_APPLICABLE, NO_SURFACES),
    # Diagnostic: tests and examinations
    ("D0460", "pulp vitality tests", 5_000, OPTIONAL, NO_SURFACES),
    ("D0470", "diagnostic casts", 9_000, NOT_APPLICABLE, NO_SURFACES),
    ("D0999", "unspecified diagnostic procedure, by report", 10_000, OPTIONAL, NO_SURFACES),
    # Preventive
    ("D1110", "prophylaxis - adult", 12_000, NOT_APPLICABLE, NO_SURFACES),
    ("D1120", "prophylaxis - child", 8_500, NOT_APPLICABLE, NO_SURFACES),
    ("D1206", "topical application of fluoride varnish", 4_500, NOT_APPLICABLE, NO_SURFACES),
    ("D1208", "topical application of fluoride - excluding varnish", 4_000, NOT_APPLICABLE, NO_SURFACES),
    ("D1330", "oral hygiene instructions", 3_500, NOT_APPLICABLE, NO_SURFACES),
    ("D1351", "sealant - per tooth", 5_500, REQUIRED, ANY_SURFACES),
    ("D1354", "application of caries arresting medicament - per tooth", 4_000, REQUIRED, NO_SURFACES),
    ("D1510", "space maintainer - fixed, unilateral - per quadrant", 35_000, OPTIONAL, NO_SURFACES),
    # Restorative: amalgam
    ("D2140", "amalgam - one surface, primary or permanent", 15_000, REQUIRED, ONE),
    ("D2150", "amalgam - two surfaces, primary or permanent", 18_500, REQUIRED, TWO),
    ("D2160", "amalgam - three surfaces, primary or permanent", 22_500, REQUIRED, THREE),
    ("D2161", "amalgam - four or more surfaces, primary or permanent", 26_500, REQUIRED, FOUR_PLUS),
    # Restorative: resin-based composite
    ("D2330", "resin-based composite - one surface, anterior", 16_500, REQUIRED, ONE),
    ("D2331", "resin-based composite - two surfaces, anterior", 20_500, REQUIRED, TWO),
    ("D2332", "resin-based composite - three surfaces, anterior", 24_500, REQUIRED, THREE),
    ("D2335", "resin-based composite - four or more surfaces (anterior)", 29_500, REQUIRED, FOUR_PLUS),
    ("D2391", "resin-based composite - one surface, posterior", 18_500, REQUIRED, ONE),
    ("D2392", "resin-based composite - two surfaces, posterior", 23_500, REQUIRED, TWO),
    ("D2393", "resin-based composite - three surfaces, posterior", 28_500, REQUIRED, THREE),
    ("D2394", "resin-based composite - four or more surfaces, posterior", 33_500, REQUIRED, FOUR_PLUS),
    # Restorative: inlays and onlays
    ("D2610", "inlay - porcelain/ceramic, one surface", 95_000, REQUIRED, ONE),
    ("D2620", "inlay - porcelain/ceramic, two surfaces", 105_000, REQUIRED, TWO),
    ("D2630", "inlay - porcelain/ceramic, three or more surfaces", 115_000, REQUIRED, THREE_PLUS),
    ("D2642", "onlay - porcelain/ceramic, two surfaces", 110_000, REQUIRED, TWO),
    ("D2643", "onlay - porcelain/ceramic, three surfaces", 120_000, REQUIRED, THREE),
    ("D2644", "onlay - porcelain/ceramic, four or more surfaces", 130_000, REQUIRED, FOUR_PLUS),
    # Crowns: single restorations only
    ("D2740", "crown - porcelain/ceramic", 135_000, REQUIRED, NO_SURFACES),
    ("D2750", "crown - porcelain fused to high noble metal", 125_000, REQUIRED, NO_SURFACES),
    ("D2751", "crown - porcelain fused to predominantly base metal", 110_000, REQUIRED, NO_SURFACES),
    ("D2752", "crown - porcelain fused to noble metal", 118_000, REQUIRED, NO_SURFACES),
    ("D2790", "crown - full cast high noble metal", 130_000, REQUIRED, NO_SURFACES),
    ("D2799", "interim crown - further treatment or completion of diagnosis necessary", 40_000, REQUIRED,
     NO_SURFACES),
    # Restorative: other restorative services
    ("D2920", "re-cement or re-bond crown", 12_500, REQUIRED, NO_SURFACES),
    ("D2930", "prefabricated stainless steel crown - primary tooth", 30_000, REQUIRED, NO_SURFACES),
    ("D2931", "prefabricated stainless steel crown - permanent tooth", 35_000, REQUIRED, NO_SURFACES),
    ("D2940", "protective restoration", 12_000, REQUIRED, ANY_SURFACES),
    ("D2950", "core buildup, including any pins when required", 30_000, REQUIRED, NO_SURFACES),
    ("D2954", "prefabricated post and core in addition to crown", 37_500, REQUIRED, NO_SURFACES),
    ("D2962", "labial veneer (porcelain laminate) - indirect", 130_000, REQUIRED, NO_SURFACES),
    # Endodontics
    ("D3110", "pulp cap - direct (excluding final restoration)", 7_500, REQUIRED, NO_SURFACES),
    ("D3220", "therapeutic pulpotomy (excluding final restoration)", 22_000, REQUIRED, NO_SURFACES),
    ("D3310", "endodontic therapy, anterior tooth (excluding final restoration)", 90_000, REQUIRED,
     NO_SURFACES),
    ("D3320", "endodontic therapy, premolar tooth (excluding final restoration)", 105_000, REQUIRED,
     NO_SURFACES),
    ("D3330", "endodontic therapy, molar tooth (excluding final restoration)", 125_000, REQUIRED,
     NO_SURFACES),
    ("D3346", "retreatment of previous root canal therapy - anterior", 110_000, REQUIRED, NO_SURFACES),
    ("D3348", "retreatment of previous root canal therapy - molar", 150_000, REQUIRED, NO_SURFACES),
    ("D3410", "apicoectomy - anterior", 95_000, REQUIRED, NO_SURFACES),
    # Periodontics
    ("D4210", "gingivectomy or gingivoplasty - four or more contiguous teeth, per quadrant", 60_000,
     OPTIONAL, NO_SURFACES),
    ("D4341", "periodontal scaling and root planing - four or more teeth per quadrant", 27_500, OPTIONAL,
     NO_SURFACES),
    ("D4342", "periodontal scaling and root planing - one to three teeth per quadrant", 19_500, OPTIONAL,
     NO_SURFACES),
    ("D4346", "scaling in presence of generalized moderate or severe gingival inflammation", 15_000,
     NOT_APPLICABLE, NO_SURFACES),
    ("D4355", "full mouth debridement to enable a comprehensive periodontal evaluation", 18_000,
     NOT_APPLICABLE, NO_SURFACES),
    ("D4381", "localized delivery of antimicrobial agents, per tooth", 9_000, REQUIRED, NO_SURFACES),
    ("D4910", "periodontal maintenance", 16_000, NOT_APPLICABLE, NO_SURFACES),
    # Prosthodontics, removable
    ("D5110", "complete denture - maxillary", 200_000, NOT_APPLICABLE, NO_SURFACES),
    ("D5120", "complete denture - mandibular", 200_000, NOT_APPLICABLE, NO_SURFACES),
    ("D5213", "maxillary partial denture - cast metal framework with resin denture bases", 210_000,
     NOT_APPLICABLE, NO_SURFACES),
    ("D5214", "mandibular partial denture - cast metal framework with resin denture bases", 210_000,
     NOT_APPLICABLE, NO_SURFACES),
    ("D5410", "adjust complete denture - maxillary", 8_000, NOT_APPLICABLE, NO_SURFACES),
    # Implant services
    ("D6010", "surgical placement of implant body: endosteal implant", 220_000, REQUIRED, NO_SURFACES),
    ("D6056", "prefabricated abutment - includes modification and placement", 60_000, REQUIRED,
     NO_SURFACES),
    ("D6057", "custom fabricated abutment - includes placement", 85_000, REQUIRED, NO_SURFACES),
    ("D6058", "abutment supported porcelain/ceramic crown", 160_000, REQUIRED, NO_SURFACES),
    ("D6065", "implant supported porcelain/ceramic crown", 170_000, REQUIRED, NO_SURFACES),
    ("D6104", "bone graft at time of implant placement", 55_000, REQUIRED, NO_SURFACES),
    # Prosthodontics, fixed
    ("D6240", "pontic - porcelain fused to high noble metal", 120_000, REQUIRED, NO_SURFACES),
    ("D6245", "pontic - porcelain/ceramic", 125_000, REQUIRED, NO_SURFACES),
    ("D6740", "retainer crown - porcelain/ceramic", 130_000, REQUIRED, NO_SURFACES),
    ("D6750", "retainer crown - porcelain fused to high noble metal", 125_000, REQUIRED, NO_SURFACES),
    ("D6930", "re-cement or re-bond fixed partial denture", 15_000, OPTIONAL, NO_SURFACES),
    # Oral and maxillofacial surgery
    ("D7140", "extraction, erupted tooth or exposed root (elevation and/or forceps removal)", 20_000,
     REQUIRED, NO_SURFACES),
    ("D7210", "extraction, erupted tooth requiring removal of bone and/or sectioning of tooth", 32_500,
     REQUIRED, NO_SURFACES),
    ("D7220", "removal of impacted tooth - soft tissue", 37_500, REQUIRED, NO_SURFACES),
    ("D7230", "removal of impacted tooth - partially bony", 45_000, REQUIRED, NO_SURFACES),
    ("D7240", "removal of impacted tooth - completely bony", 50_000, REQUIRED, NO_SURFACES),
    ("D7250", "removal of residual tooth roots (cutting procedure)", 30_000, REQUIRED, NO_SURFACES),
    ("D7310", "alveoloplasty in conjunction with extractions - four or more teeth, per quadrant", 35_000,
     OPTIONAL, NO_SURFACES),
    ("D7953", "bone replacement graft for ridge preservation - per site", 50_000, REQUIRED, NO_SURFACES),
    # Orthodontics
    ("D8070", "comprehensive orthodontic treatment of the transitional dentition", 550_000, NOT_APPLICABLE,
     NO_SURFACES),
    ("D8080", "comprehensive orthodontic treatment of the adolescent dentition", 600_000, NOT_APPLICABLE,
     NO_SURFACES),
    ("D8090", "comprehensive orthodontic treatment of the adult dentition", 650_000, NOT_APPLICABLE,
     NO_SURFACES),
    ("D8660", "pre-orthodontic treatment examination to monitor growth and development", 15_000,
     NOT_APPLICABLE, NO_SURFACES),
    ("D8670", "periodic orthodontic treatment visit", 20_000, NOT_APPLICABLE, NO_SURFACES),
    ("D8680", "orthodontic retention (removal of appliances, construction and placement of retainers)",
     50_000, NOT_APPLICABLE, NO_SURFACES),
    # Adjunctive general services
    ("D9110", "palliative treatment of dental pain - per visit", 12_000, OPTIONAL, NO_SURFACES),
    ("D9215", "local anesthesia in conjunction with operative or surgical procedures", 5_000, OPTIONAL,
     NO_SURFACES),
    ("D9222", "deep sedation/general anesthesia - first 15 minutes", 30_000, NOT_APPLICABLE, NO_SURFACES),
    ("D9230", "inhalation of nitrous oxide/analgesia, anxiolysis", 8_500, NOT_APPLICABLE, NO_SURFACES),
    ("D9239", "intravenous moderate (conscious) sedation/analgesia - first 15 minutes", 27_500,
     NOT_APPLICABLE, NO_SURFACES),
    ("D9310", "consultation - diagnostic service provided by dentist other than requesting dentist",
     15_000, NOT_APPLICABLE, NO_SURFACES),
    ("D9910", "application of desensitizing medicament", 5_000, OPTIONAL, NO_SURFACES),
    ("D9944", "occlusal guard - hard appliance, full arch", 55_000, NOT_APPLICABLE, NO_SURFACES),
    ("D9945", "occlusal guard - soft appliance, full arch", 35_000, NOT_APPLICABLE, NO_SURFACES),
    ("D9972", "external bleaching - per arch - performed in office", 35_000, NOT_APPLICABLE, NO_SURFACES),
    ("D9986", "missed appointment", 5_000, NOT_APPLICABLE, NO_SURFACES),
    ("D9987", "cancelled appointment", 2_500, NOT_APPLICABLE, NO_SURFACES),
)
