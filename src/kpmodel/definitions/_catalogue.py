"""The catalogue of conflict-diamond definitions, each encoded from the public texts it cites.

Each definition lists its sources (publisher and URL) in `Definition.references`. Where a
wording is known only from a paraphrase or was not found, the definition's notes say so.
Each definition also says which event it judges (`Definition.judges`): the sanctions rule on
Russian-origin diamonds judges imports; the others judge diamonds where and when they were
mined.
"""

from __future__ import annotations

import datetime as dt

from kpmodel.definitions._definition import (
    Clause,
    Definition,
    actor_in,
    designated_by,
    during,
    harm_in,
    link_in,
    place_in,
    scale_in,
    target_in,
)
from kpmodel.definitions._vocabulary import (
    Actor,
    Harm,
    Link,
    Outcome,
    Scale,
    Status,
    Target,
    Wording,
)

A, H, L, T, S = Actor, Harm, Link, Target, Scale

_REBELS = (A.REBEL_MOVEMENT, A.ALLY_OF_REBELS)
_NON_REBELS = tuple(a for a in Actor if a not in _REBELS)
_FINANCING = (H.FINANCING_ARMED_CONFLICT_AGAINST_GOVERNMENT, H.FINANCING_ARMED_CONFLICT)
_VIOLENCE = (
    H.SYSTEMATIC_OR_WIDESPREAD_VIOLENCE,
    H.TORTURE,
    H.WIDESPREAD_SEXUAL_VIOLENCE,
    H.IHL_VIOLATIONS,
)
_ILLEGAL_CONTROL = (
    H.ILLEGAL_CONTROL_OF_SITES_OR_ROUTES,
    H.ILLEGAL_TAXATION_OR_EXTORTION,
    H.BRIBERY,
    H.DISPOSSESSION,
)
_NOT_ISOLATED = (S.SERIOUS, S.WIDESPREAD, S.SYSTEMATIC, S.WIDESPREAD_AND_SYSTEMATIC)

# --- KPCS Core Document, Section I ------------------------------------------------------------

_KPCS_REFS = (
    "KPCS Core Document, Section I, quoted in full by E. Golan, Rubel & Ménasché 2012: "
    "https://www.rubel-menasche.com/en/definition-decence-2/",
    "https://jewellerynewsindia.com/index.php/2023/05/30/wdc-talks-on-the-concept-of-conflict-diamonds",
    "https://celnisprava.gov.cz/en/european-union/kimberleysky-proces/Stranky/default.aspx",
    "UNGA 55/56: https://press.un.org/en/2000/20001201.ga9839.doc.html",
)

_KPCS_CLAUSES = (
    Clause(
        name="rebel-financing",
        tests=(
            actor_in(
                *_REBELS,
                unclear=[A.FOREIGN_STATE_OR_OCCUPIER],
                note="a foreign state is not a rebel, but it may be an ally of rebels (UNGA "
                "55/56 named diamonds from territory under military occupation by another "
                "country)",
            ),
            harm_in(
                H.FINANCING_ARMED_CONFLICT_AGAINST_GOVERNMENT,
                unclear=[H.FINANCING_ARMED_CONFLICT],
                note="the conflict must be aimed at undermining legitimate governments",
            ),
            link_in(L.USED_TO_FINANCE),
            target_in(
                T.LEGITIMATE_GOVERNMENT,
                unclear=[T.OTHER_STATE_SOVEREIGNTY],
                note="occupation by another state undermines a government, but the text "
                "speaks of rebels against governments",
            ),
        ),
        note="The operative words: rough diamonds used by rebel movements or their allies to "
        "finance conflict aimed at undermining legitimate governments.",
    ),
    Clause(
        name="unsc-territorial-measure",
        tests=(
            designated_by("UNSC"),
            actor_in(
                *_REBELS,
                unclear=_NON_REBELS,
                note="UNSC bans were territorial (resolution 1643 (2005) banned all rough "
                "diamonds from Côte d'Ivoire), while the definition's words name rebels and "
                "their allies",
            ),
        ),
        note="'As described in relevant UNSC resolutions insofar as they remain in effect', "
        "read as an area/time designation: kpmodel's reading of how the UN ban on Ivorian "
        "rough (2005-2014) worked, a ban on all Ivorian rough, not on rebel-mined rough only.",
    ),
)

KPCS_2003 = Definition(
    name="KPCS_2003",
    title="KPCS Core Document, Section I",
    clauses=_KPCS_CLAUSES,
    status=Status.IN_FORCE,
    date=dt.date(2003, 1, 1),
    references=_KPCS_REFS,
    wording=(
        "CONFLICT DIAMONDS means rough diamonds used by rebel movements or their allies to "
        "finance conflict aimed at undermining legitimate governments, as described in relevant "
        "United Nations Security Council (UNSC) resolutions insofar as they remain in effect, "
        "or in other similar UNSC resolutions which may be adopted in the future, and as "
        "understood and recognised in United Nations General Assembly (UNGA) Resolution 55/56, "
        "or in other similar UNGA resolutions which may be adopted in future."
    ),
    wording_kind=Wording.VERBATIM,
    notes=(
        "In force since 1 January 2003. The verbatim text comes from a 2012 trade-press "
        "quotation (Golan, Rubel & Ménasché), matched by shorter 2023 quotations; the KP's own "
        "PDF was not retrieved. In practice status followed UNSC action or KP plenary "
        "decisions taken by consensus."
    ),
)

# --- US chair 2012 ------------------------------------------------------------------------------

US_CHAIR_2012 = Definition(
    name="US_CHAIR_2012",
    title="US chair proposal (Amb. Milovanovic)",
    clauses=(
        Clause(
            name="financing-armed-conflict",
            tests=(
                harm_in(*_FINANCING, unclear=[H.AGGRESSION_AGAINST_ANOTHER_STATE]),
                link_in(L.USED_TO_FINANCE),
            ),
        ),
        Clause(
            name="diamond-related-violence",
            tests=(
                harm_in(*_VIOLENCE),
                link_in(
                    L.DIAMOND_RELATED_VIOLENCE_IN_AREA,
                    L.ACQUIRED_THROUGH,
                    L.WEALTH_ACQUIRED_THROUGH_ILLEGAL_CONTROL,
                ),
                scale_in(*_NOT_ISOLATED, note="the reform paper excludes isolated incidents"),
            ),
            note="'other situations relating to violence affecting diamond mining areas'",
        ),
    ),
    status=Status.PROPOSAL,
    date=dt.date(2012, 11, 1),
    references=(
        "https://rough-polished.expert/en/expertise/64062.html",
        "https://www.rubel-menasche.com/en/definition-decence-2/",
        "http://allafrica.com/stories/201211010839.html",
        "https://www.diamonds.net/Magazine/Article.aspx?RDRIssueID=92&ArticleID=40535",
    ),
    wording=(
        "rough diamonds used to finance armed conflict or other situations relating to "
        "violence affecting diamond mining areas"
    ),
    wording_kind=Wording.PARAPHRASED,
    notes=(
        "Reported wording, not a tabled text. The reform paper said the concept should not "
        "cover isolated incidents or armed conflict unrelated to the diamond sector. No "
        "consensus at the Washington plenary, November 2012."
    ),
)

# --- Canada / WDC / CSC 2018 --------------------------------------------------------------------

_CANADA_PRIVATE_OR_PUBLIC_ARMED = (
    A.PUBLIC_SECURITY_FORCE,
    A.PRIVATE_SECURITY_COMPANY,
    A.MERCENARY,
    A.ORGANISED_CRIME,
    A.NON_STATE_ARMED_GROUP,
    A.MILITIA,
    A.TERRORIST_GROUP,
    *_REBELS,
)

CANADA_WDC_CSC_2018 = Definition(
    name="CANADA_WDC_CSC_2018",
    title="Canada / WDC / CSC text",
    clauses=(
        *_KPCS_CLAUSES,
        Clause(
            name="wealth-through-illegal-control",
            tests=(
                actor_in(
                    *_CANADA_PRIVATE_OR_PUBLIC_ARMED,
                    note="public security forces or private (including criminal or "
                    "mercenary) armed groups",
                ),
                harm_in(*_ILLEGAL_CONTROL),
                link_in(L.WEALTH_ACQUIRED_THROUGH_ILLEGAL_CONTROL),
            ),
            note="prong (i)",
        ),
        Clause(
            name="acquired-through-abuses",
            tests=(
                harm_in(H.FORCED_LABOUR, H.WORST_FORMS_OF_CHILD_LABOUR, H.IHL_VIOLATIONS),
                link_in(L.ACQUIRED_THROUGH),
            ),
            note="prong (ii), forced labour, worst forms of child labour, IHL violations",
        ),
        Clause(
            name="acquired-through-violence",
            tests=(
                harm_in(H.SYSTEMATIC_OR_WIDESPREAD_VIOLENCE, H.TORTURE),
                link_in(L.ACQUIRED_THROUGH),
                scale_in(
                    S.WIDESPREAD_AND_SYSTEMATIC,
                    unclear=[S.WIDESPREAD, S.SYSTEMATIC],
                    note="the text says 'systematic and widespread'",
                ),
            ),
            note="prong (ii), systematic and widespread violence",
        ),
    ),
    status=Status.PROPOSAL,
    date=dt.date(2018, 11, 1),
    references=(
        "https://www.thediamondloupe.com/sustainability/2018-11-14/world-diamond-council-urges-kp-expand-definition",
        "https://rapaportfairtrade.com/2018/11/14/wdc-issues-definition-of-conflict-diamonds/",
        "https://gjepc.org/news_detail.php?news=kp-plenary-ends-with-commitment-to-internal-reforms-and-to-un-s-sustainable-development-goals",
    ),
    wording=(
        "Adds to the KPCS definition (i) rough diamonds used by public security forces or "
        "private (including criminal or mercenary) armed groups to acquire wealth through the "
        "illegal control, bribery, taxation, extortion or dispossession of people; and (ii) "
        "rough diamonds acquired through systematic and widespread violence, forced labour, the "
        "worst forms of child labour, or through violations of international humanitarian law."
    ),
    wording_kind=Wording.VERBATIM,
    notes=(
        "Tabled by Canada at the Brussels plenary (Nov 2018), drafted by WDC and the KP Civil "
        "Society Coalition; not put to decision. Prong (ii) is split into two clauses because "
        "the 'systematic and widespread' threshold qualifies only violence. Torture is read as "
        "violence (kpmodel's reading: the text names violence, not torture as such)."
    ),
)

# --- Russia 2019-21 -----------------------------------------------------------------------------

_RUSSIA_ACTORS = (
    *_REBELS,
    A.NON_STATE_ARMED_GROUP,
    A.MILITIA,
    A.TERRORIST_GROUP,
    A.ORGANISED_CRIME,
)
_RUSSIA_OPEN = (A.MERCENARY, A.PRIVATE_SECURITY_COMPANY, A.FOREIGN_STATE_OR_OCCUPIER)
_RUSSIA_OPEN_NOTE = (
    "'armed groups' may or may not take in mercenaries and private security companies; an "
    "occupying state may be an ally of armed groups; the paraphrase does not say"
)

RUSSIA_2019 = Definition(
    name="RUSSIA_2019",
    title="Russian proposal (2019-21)",
    clauses=(
        Clause(
            name="armed-group-financing",
            tests=(
                actor_in(*_RUSSIA_ACTORS, unclear=_RUSSIA_OPEN, note=_RUSSIA_OPEN_NOTE),
                harm_in(
                    *_FINANCING,
                    note="'conflict' as in the KPCS definition it extends; no target is "
                    "stated, so conflict of any aim counts",
                ),
                link_in(L.USED_TO_FINANCE),
            ),
            note="The KPCS financing test with the actors widened; the source states no "
            "target, so none is tested.",
        ),
        Clause(
            name="unsc-territorial-measure",
            tests=(
                designated_by("UNSC"),
                actor_in(
                    *_RUSSIA_ACTORS,
                    unclear=tuple(a for a in Actor if a not in _RUSSIA_ACTORS),
                    note=_RUSSIA_OPEN_NOTE,
                ),
            ),
            note="The KPCS reference to UNSC resolutions, kept from the text it extends.",
        ),
    ),
    status=Status.PROPOSAL,
    date=dt.date(2019, 11, 18),
    references=(
        "Rubel & Ménasché, 'Alexey Moiseev on Russia's priorities as Kimberley Process chair' "
        "(Feb 2020): https://www.rubel-menasche.com/en/alexey-moiseev-on-russias-priorities-as-"
        "kimberley-process-chair/",
        "GJEPC, 'Kimberley Process plenary fails to reach consensus on updating definition of "
        "conflict diamonds' (Nov 2019): http://www.gjepc.org/news_detail.php?news=kimberley-"
        "process-plenary-fails-to-reach-consensus-on-updating-definition-of-conflict-diamonds",
    ),
    wording=(
        "extend scope beyond rebel movements and their allies onto armed groups, terrorist "
        "groups and criminal networks supporting them; affirm the KP's commitment to "
        "international humanitarian law"
    ),
    wording_kind=Wording.PARAPHRASED,
    notes=(
        "Known only from Dep. FinMin Moiseev's description (Feb 2020); the full text was not "
        "found. Encoded as the KPCS financing test with the named actors added. The "
        "paraphrase states no target, so unlike the KPCS no 'undermining legitimate "
        "governments' test is applied; whether 'armed groups' takes in mercenaries and "
        "private security companies is left open (UNDETERMINED, not OUT). Dated to the New "
        "Delhi plenary (18-22 Nov 2019) where it was on the table."
    ),
)

# --- ADPA 2025 ---------------------------------------------------------------------------------

# The actors the May 2025 text names, as IDEX quotes it: armed groups, non-state armed groups,
# UN Security Council-sanctioned individuals and entities, and their allies.
_ADPA_ACTORS = (
    *_REBELS,
    A.NON_STATE_ARMED_GROUP,
    A.MILITIA,
    A.TERRORIST_GROUP,
    A.UN_SANCTIONED_ENTITY,
)
# Named only in the WDC's summary of the modified package of November 2025, a later text.
_ADPA_LATER = (A.MERCENARY, A.ORGANISED_CRIME, A.PRIVATE_SECURITY_COMPANY)
_ADPA_LATER_NOTE = (
    "mercenaries, organised criminal networks and private military and security companies "
    "are named only in the WDC's summary of the modified November 2025 package, not in the "
    "May 2025 text quoted"
)

ADPA_2025 = Definition(
    name="ADPA_2025",
    title="ADPA text (no state actors)",
    clauses=(
        Clause(
            name="financing-armed-conflict",
            tests=(
                actor_in(*_ADPA_ACTORS, unclear=_ADPA_LATER, note=_ADPA_LATER_NOTE),
                harm_in(*_FINANCING),
                link_in(L.USED_TO_FINANCE, unclear=[L.BENEFIT_DIRECTLY_OR_INDIRECTLY]),
            ),
            note="'actions aimed at financing armed conflict ... including attempts at "
            "undermining legitimate governments'",
        ),
        Clause(
            name="harm-to-diamond-communities",
            tests=(
                actor_in(*_ADPA_ACTORS, unclear=_ADPA_LATER, note=_ADPA_LATER_NOTE),
                harm_in(
                    *_FINANCING,
                    unclear=[
                        *_VIOLENCE,
                        *_ILLEGAL_CONTROL,
                        H.FORCED_LABOUR,
                        H.WORST_FORMS_OF_CHILD_LABOUR,
                        H.HUMAN_RIGHTS_ABUSE,
                        H.ENVIRONMENTAL_HARM,
                    ],
                    note="'other operations' is not defined in the text quoted",
                ),
                link_in(L.USED_TO_FINANCE, unclear=[L.BENEFIT_DIRECTLY_OR_INDIRECTLY]),
                target_in(T.DIAMOND_COMMUNITIES),
            ),
            note="'financing [of] armed conflict and other operations ... [against] the "
            "well-being of diamond communities': a financing link, as the text quotes it",
        ),
    ),
    status=Status.PROPOSAL,
    date=dt.date(2025, 5, 1),
    references=(
        "IDEX, May 2025 (the ADPA wording as quoted): "
        "http://www.idexonline.com/portal_FullNews.asp?id=50917",
        "Rapaport, 'Kimberley Process makes headway in expanding conflict diamond definition' "
        "(May 2025): https://rapaport.com/news/kimberley-process-makes-headway-in-expanding-"
        "conflict-diamond-definition/",
        "JewelleryNet, 'New inroads to redefining conflict diamonds' (19 May 2025): "
        "https://news.jewellerynet.com/en/jnanews/news/26461/051925-New-inroads-to-redefining-"
        "conflict-diamonds",
        "Africa-Press (ADPA statement on the November 2025 plenary): "
        "https://www.africa-press.net/angola/?p=94450",
        "The Diamond Press, 'The conflict divide' (WDC summary of the November 2025 package): "
        "https://www.thediamondpress.com/post/the-conflict-divide",
    ),
    wording=(
        "armed groups, non-state armed groups, UN Security Council-sanctioned individuals and "
        "entities and their allies ... actions aimed at financing armed conflict and other "
        "operations, including attempts at undermining legitimate governments, and the "
        "well-being of diamond communities"
    ),
    wording_kind=Wording.VERBATIM,
    notes=(
        "Fragments as quoted by IDEX (May 2025); the final modified text was not found. The "
        "encoding follows the text it quotes: a financing link, the actors it names. The "
        "WDC's summary of the modified November 2025 package adds militias, mercenaries, "
        "organised criminal networks and private military and security companies; those "
        "not named in the May text are UNDETERMINED here, and case-book verdicts that rest on "
        "the later text say so. No state actors: blocked at the Nov 2025 plenary on exactly "
        "that point."
    ),
)

# --- EU 2023 aim / Western 2025 variant ---------------------------------------------------------

_FUNDING_LINKS = (L.USED_TO_FINANCE, L.BENEFIT_DIRECTLY_OR_INDIRECTLY)

EU_2023 = Definition(
    name="EU_2023",
    title="EU aim / Western 2025 variant (state actors)",
    clauses=(
        Clause(
            name="funding-any-conflict",
            tests=(
                harm_in(
                    *_FINANCING,
                    H.AGGRESSION_AGAINST_ANOTHER_STATE,
                    unclear=_VIOLENCE,
                    note="whether internal repression is a 'conflict of any kind' is open; "
                    "the 2025 framing concerned aggression (Canada's statement, Nov 2025)",
                ),
                link_in(
                    *_FUNDING_LINKS,
                    unclear=[L.WEALTH_ACQUIRED_THROUGH_ILLEGAL_CONTROL, L.ACQUIRED_THROUGH],
                ),
            ),
        ),
        Clause(
            name="undermining-another-state",
            tests=(target_in(T.OTHER_STATE_SOVEREIGNTY), link_in(*_FUNDING_LINKS)),
        ),
    ),
    status=Status.POSITION,
    date=dt.date(2023, 11, 6),
    references=(
        "https://heerazhaveraat.com/the-kp-plenary-failed-to-stay-fit-for-core-mandate/",
        "https://gov.uk/government/news/russia-blocks-discussions-at-kimberley-process-plenary",
        "https://www.miragenews.com/statement-following-22nd-kimberley-process-1582920",
    ),
    wording=(
        "never used to fund directly or indirectly any conflict of any kind, or to undermine "
        "the sovereignty and territorial integrity of another State"
    ),
    wording_kind=Wording.VERBATIM,
    notes=(
        "A statement of aim at the Victoria Falls plenary (6-10 Nov 2023), reproduced on a "
        "trade site; not a tabled text. Stands in for the Western 2025 variant that adds state "
        "actors funding aggression, whose exact text was not found. No actor filter: any "
        "actor, states included."
    ),
)

# --- OECD Annex II -------------------------------------------------------------------------------

_OECD_SUPPORT_LINKS = (
    L.USED_TO_FINANCE,
    L.BENEFIT_DIRECTLY_OR_INDIRECTLY,
    L.WEALTH_ACQUIRED_THROUGH_ILLEGAL_CONTROL,
    L.SUPPLIER_LINKED_TO_PARTY,
)

OECD_ANNEX_II = Definition(
    name="OECD_ANNEX_II",
    title="OECD Due Diligence Guidance, Annex II (and RJC COP 7)",
    clauses=(
        Clause(
            name="serious-abuses-by-any-party",
            tests=(
                harm_in(
                    *_VIOLENCE,
                    H.FORCED_LABOUR,
                    H.WORST_FORMS_OF_CHILD_LABOUR,
                    unclear=[H.HUMAN_RIGHTS_ABUSE],
                    note="'other gross human rights violations and abuses'",
                ),
                link_in(
                    *_OECD_SUPPORT_LINKS,
                    L.ACQUIRED_THROUGH,
                    L.DIAMOND_RELATED_VIOLENCE_IN_AREA,
                    unclear=[L.MINED_IN_AFFECTED_AREA],
                    note="sourcing from a high-risk area triggers due diligence, not a finding",
                ),
            ),
            note="category 1: 'by any party', which includes state forces and companies",
        ),
        Clause(
            name="support-to-non-state-armed-groups",
            tests=(
                actor_in(
                    *_REBELS,
                    A.NON_STATE_ARMED_GROUP,
                    A.MILITIA,
                    A.MERCENARY,
                    A.TERRORIST_GROUP,
                    unclear=[A.ORGANISED_CRIME, A.UN_SANCTIONED_ENTITY],
                ),
                harm_in(*_FINANCING, *_ILLEGAL_CONTROL[:2]),
                link_in(*_OECD_SUPPORT_LINKS),
            ),
            note="category 2: direct or indirect support to non-state armed groups",
        ),
        Clause(
            name="security-forces-illegal-control",
            tests=(
                actor_in(
                    A.PUBLIC_SECURITY_FORCE,
                    A.PRIVATE_SECURITY_COMPANY,
                    A.FOREIGN_STATE_OR_OCCUPIER,
                    note="an occupying army is read as a public security force",
                ),
                harm_in(*_ILLEGAL_CONTROL[:2]),
                link_in(*_OECD_SUPPORT_LINKS),
            ),
            note="category 3: public or private security forces (numbering not verified)",
        ),
        Clause(
            name="bribery-and-origin-fraud",
            tests=(harm_in(H.BRIBERY, H.MISREPRESENTATION_OF_ORIGIN),),
            note="category 4: wording not retrieved",
        ),
        Clause(
            name="money-laundering",
            tests=(harm_in(H.MONEY_LAUNDERING),),
            note="category 5: wording not retrieved",
        ),
        Clause(
            name="taxes-and-royalties",
            tests=(harm_in(H.UNPAID_TAXES_OR_ROYALTIES),),
            note="category 6: wording not retrieved",
        ),
    ),
    status=Status.ADJACENT_REGIME,
    date=dt.date(2016, 1, 1),
    references=(
        "https://respect.international/?p=762",
        "https://chrisblattman.com/2015/01/31/exciting-depressing-document-read-week-mining-conglomerates-edition/",
        "https://www.theimpactfacility.com/glossary/illicit-armed-group/",
        "https://pdfslide.net/documents/due-diligence-member-toolkit-cop-7-due-diligence-for-responsible-sourcing.html",
    ),
    wording=(
        "neither tolerate nor by any means profit from, contribute to, assist with or "
        "facilitate the commission by any party of [serious abuses]; direct or indirect support "
        "to non-state armed groups; public or private security forces; bribery and fraudulent "
        "misrepresentation of the origin of minerals; money laundering; payment of taxes, fees "
        "and royalties due to governments"
    ),
    wording_kind=Wording.PARAPHRASED,
    notes=(
        "A due-diligence risk list, not a label: IN here means 'a risk a company must not "
        "tolerate'. Categories 1-3 are quoted through secondary sources; the wording of "
        "categories 4-6 was not retrieved. Dated to the third edition "
        "(2016) quoted by the sources. RJC COP 7 applies it to diamonds."
    ),
)

# --- G7/EU Russian-origin ban --------------------------------------------------------------------

G7_RUSSIA_ORIGIN_2024 = Definition(
    name="G7_RUSSIA_ORIGIN_2024",
    title="G7/EU ban on Russian-origin diamonds",
    clauses=(
        Clause(
            name="russian-origin",
            tests=(place_in("RU"), during("2024-01-01")),
            note="mined in Russia, imported from 1 January 2024 (whenever mined)",
        ),
    ),
    status=Status.ADJACENT_REGIME,
    date=dt.date(2024, 1, 1),
    judges="import",
    references=(
        "https://republicofmining.com/2023/12/11/g7-to-sanction-russian-diamonds-as-of-january-by-laura-hulsemann-and-barbara-moens-politico-eu-december-6-2023/",
        "https://brusselstimes.com/eu-affairs/947898/g7-also-restricts-indirect-import-of-russian-diamonds",
        "https://fashnfly.com/2023/12/eu-agrees-to-ban-russian-diamonds-in-new-sanctions-package",
    ),
    wording='non-industrial diamonds "mined, processed, or produced in Russia"',
    wording_kind=Wording.PARAPHRASED,
    notes=(
        "An origin-based sanctions rule with no actor or harm test. It restricts imports, so "
        "it judges carats at their import: a lot mined in Russia in 2023 and imported into "
        "the EU in March 2024 is IN. Industrial diamonds are excepted; from 1 March 2024 "
        "Russian diamonds processed in third countries are phased in (initially 1 ct and "
        "above), which only a lot-level view can apply."
    ),
)

# --- Dodd-Frank 1502 ---------------------------------------------------------------------------

#: The DRC and the countries sharing a border with it. The sources give the rule (a country
#: sharing an internationally recognised border with the DRC) but the list used here is the
#: DRC's nine land neighbours, not taken from a source (confirmed: false).
DODD_FRANK_COUNTRIES = ("CD", "AO", "BI", "CF", "CG", "RW", "SS", "TZ", "UG", "ZM")

DODD_FRANK_1502 = Definition(
    name="DODD_FRANK_1502",
    title="US Dodd-Frank section 1502 (3TG), applied to diamonds by analogy",
    clauses=(
        Clause(
            name="armed-group-finance-or-benefit",
            tests=(
                place_in(*DODD_FRANK_COUNTRIES),
                actor_in(
                    *_CANADA_PRIVATE_OR_PUBLIC_ARMED,
                    unclear=[A.FOREIGN_STATE_OR_OCCUPIER, A.STATE],
                    note="'armed group' does not exclude government forces on its face",
                ),
                designated_by(
                    "US-State-Department",
                    when_absent=Outcome.UNDETERMINED,
                    note="listed as perpetrator of serious human rights abuses in the annual "
                    "Country Reports",
                ),
                link_in(*_FUNDING_LINKS),
            ),
        ),
    ),
    status=Status.ADJACENT_REGIME,
    date=dt.date(2012, 9, 12),
    references=(
        "https://irblog.prnewswire.com/2015/03/04/the-2015-edition-of-the-sec-reporting-rules-include-form-sd-for-guidance-on-conflict-minerals/",
        "https://luxfer.com/environment-social-and-governance/social/conflict-minerals",
        "https://www.federalregister.gov/documents/2012/09/12/2012-21153/conflict-minerals",
    ),
    wording=(
        "conflict minerals that directly or indirectly finance or benefit armed groups in the "
        "DRC or an adjoining country; armed group: identified as perpetrator of serious human "
        "rights abuses in annual Country Reports on Human Rights Practices"
    ),
    wording_kind=Wording.PARAPHRASED,
    notes=(
        "Covers tin, tantalum, tungsten and gold, not diamonds: encoded by analogy to show "
        "where it would draw the line. 'Armed group' depends on the State Department's "
        "reports, rarely in the evidence, so an unlisted group gives UNDETERMINED, in the "
        "spirit of the rule's 'DRC conflict undeterminable' status. Dated to the SEC final "
        "rule (12 Sep 2012). The adjoining-country list is not taken from a source "
        "(confirmed: false)."
    ),
)

# --- KP Civil Society Coalition: its own position -----------------------------------------------

_ALL_ACTORS = frozenset(Actor)

CSC_POSITION = Definition(
    name="CSC_POSITION",
    title="KP Civil Society Coalition position (any perpetrator)",
    clauses=(
        *(c.with_actors(_ALL_ACTORS) for c in _KPCS_CLAUSES),
        Clause(
            name="widespread-or-systematic-violence",
            tests=(
                harm_in(*_VIOLENCE, H.DISPOSSESSION),
                scale_in(S.WIDESPREAD, S.SYSTEMATIC, S.WIDESPREAD_AND_SYSTEMATIC),
            ),
            note="'widespread or systematic violence', by any perpetrator, the state included",
        ),
        Clause(
            name="serious-human-rights-violations",
            tests=(
                harm_in(
                    H.HUMAN_RIGHTS_ABUSE,
                    H.TORTURE,
                    H.FORCED_LABOUR,
                    H.WORST_FORMS_OF_CHILD_LABOUR,
                    H.DISPOSSESSION,
                    H.SYSTEMATIC_OR_WIDESPREAD_VIOLENCE,
                ),
                scale_in(S.SERIOUS, S.WIDESPREAD, S.SYSTEMATIC, S.WIDESPREAD_AND_SYSTEMATIC),
            ),
            note="'serious human rights violations'; the 2018 list names killings, torture, "
            "forced labour, displacement of communities and the worst forms of child labour",
        ),
        Clause(
            name="environmental-harm",
            tests=(harm_in(H.ENVIRONMENTAL_HARM),),
            note="the coalition asks that environmental damage be covered (2018 list)",
        ),
    ),
    status=Status.POSITION,
    date=dt.date(2018, 6, 1),
    references=(
        "KP Civil Society Coalition, 'The Kimberley Process: a critical assessment by the KP "
        "Civil Society Coalition': https://www.kpcivilsociety.org/activite/the-kimberley-"
        "process-a-critical-assessment-by-the-kp-civil-society-coalition",
        "IPIS, 'Kimberley Process intersessional meeting: Civil Society Coalition calls for "
        "meaningful reform of the definition of conflict diamonds' (2018): https://ipisresearch."
        "be/nl/kimberley-process-intersessional-meeting-civil-society-coalition-calls-"
        "meaningful-reform-definition-conflict-diamonds/",
        "KP Civil Society Coalition, 2019 plenary, New Delhi, opening speech: https://www."
        "kpcivilsociety.org/activity/2019-plenary-new-delhi-opening-speech-by-the-civil-"
        "society-coalition/",
    ),
    wording=(
        "all perpetrators, including public and private security forces, criminals, terrorists "
        "and state authorities; widespread or systematic violence and serious human rights "
        "violations; environmental harm (2018 list: excessive use of force, killings, torture, "
        "forced labour, displacement of communities, restrictions on freedom of movement, "
        "worst forms of child labour and environmental damage)"
    ),
    wording_kind=Wording.PARAPHRASED,
    notes=(
        "A stated position, not a tabled text: the coalition co-drafted the 2018 Canada text "
        "(CANADA_WDC_CSC_2018) but asks for more. Encoded as the KPCS financing clauses for "
        "any actor, plus violence that is widespread OR systematic (the 2018 text required "
        "both), serious human-rights violations, and environmental harm. The coalition's "
        "threshold for 'serious' and the link it would require between the diamonds and the "
        "harm are not stated, so no link test is applied (kpmodel's reading)."
    ),
)

#: The built-in definitions by name, in the order tables show them.
BUILTINS: dict[str, Definition] = {
    d.name: d
    for d in (
        KPCS_2003,
        US_CHAIR_2012,
        CANADA_WDC_CSC_2018,
        RUSSIA_2019,
        ADPA_2025,
        EU_2023,
        OECD_ANNEX_II,
        G7_RUSSIA_ORIGIN_2024,
        DODD_FRANK_1502,
        CSC_POSITION,
    )
}

#: The names of the built-in definitions, in catalogue order.
BUILTIN_NAMES: tuple[str, ...] = tuple(BUILTINS)
