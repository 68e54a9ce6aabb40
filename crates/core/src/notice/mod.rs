//! The published privacy notice, rendered from the policy.
//!
//! The notice says nothing the policy does not: every sentence is built from
//! a policy element, so what is published and what is enforced cannot drift.
//! The fixed wording around the elements follows Winston's Swedish notice.

pub mod doc;
mod json;

use crate::legal;
use crate::period::Period;
use crate::policy::{
    Anchor, CookieLifetime, Deadline, LegalBasis, Policy, RecipientType, RetentionRule,
    StatutoryMinimum, WithdrawalChannel,
};
use crate::text::{Lang, Text};

pub use doc::{Block, Document};
pub use json::json;

use doc::{Line, strong, text};

/// The notice as Markdown.
pub fn markdown(policy: &Policy, lang: Lang) -> String {
    document(policy, lang).to_markdown()
}

/// The notice as a standalone HTML page.
pub fn html(policy: &Policy, lang: Lang) -> String {
    document(policy, lang).to_html()
}

/// "a, b och c" / "a, b and c".
pub(crate) fn join_and<S: AsRef<str>>(items: &[S], lang: Lang) -> String {
    join_with(items, lang.pick("och", "and"))
}

/// Names joined in running text: all but the first lowercased.
fn join_names<S: AsRef<str>>(items: &[S], lang: Lang) -> String {
    let names: Vec<String> = items
        .iter()
        .enumerate()
        .map(|(i, n)| {
            if i == 0 {
                n.as_ref().to_owned()
            } else {
                lowercase_first(n.as_ref())
            }
        })
        .collect();
    join_and(&names, lang)
}

fn join_or<S: AsRef<str>>(items: &[S], lang: Lang) -> String {
    join_with(items, lang.pick("eller", "or"))
}

fn join_with<S: AsRef<str>>(items: &[S], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} {word} {}", init.join(", "), last.as_ref())
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
}

/// A list item that opens with a name in bold: "**Name.** Description".
fn named_item(name: &Text, description: Option<&Text>, lang: Lang) -> Line {
    let mut line = vec![strong(format!("{}.", name.get(lang)))];
    if let Some(d) = description {
        line.push(text(format!(" {}", d.get(lang))));
    }
    line
}

struct Builder<'a> {
    policy: &'a Policy,
    lang: Lang,
    blocks: Vec<Block>,
}

impl Builder<'_> {
    fn t<'s>(&self, sv: &'s str, en: &'s str) -> &'s str {
        self.lang.pick(sv, en)
    }

    fn h2(&mut self, id: &str, sv: &str, en: &str) {
        let text = self.t(sv, en).to_owned();
        self.blocks.push(Block::Heading {
            level: 2,
            id: id.to_owned(),
            text,
        });
    }

    fn h3(&mut self, id: String, text: String) {
        self.blocks.push(Block::Heading { level: 3, id, text });
    }

    fn para(&mut self, line: Line) {
        self.blocks.push(Block::Para(line));
    }

    fn plain(&mut self, s: impl Into<String>) {
        self.para(vec![text(s)]);
    }

    fn category_name(&self, id: &str) -> String {
        self.policy
            .categories
            .get(id)
            .map_or_else(|| id.to_owned(), |c| lowercase_first(c.name.get(self.lang)))
    }

    fn event_name(&self, id: &str) -> String {
        self.policy
            .events
            .get(id)
            .map_or_else(|| id.to_owned(), |t| t.get(self.lang).to_owned())
    }

    fn period(&self, p: Period) -> String {
        p.describe(self.lang)
    }

    fn controller(&mut self) {
        let c = &self.policy.controller;
        self.h2("controller", "Personuppgiftsansvarig", "Controller");
        let mut items: Vec<Line> = vec![vec![
            strong(&c.name),
            text(format!(
                " ({} {})",
                self.t("organisationsnummer", "organisation number"),
                c.org_number
            )),
        ]];
        if let Some(address) = &c.address {
            items.push(vec![text(format!(
                "{}: {address}",
                self.t("Adress", "Address")
            ))]);
        }
        items.push(vec![
            text(format!("{}: ", self.t("E-post", "E-mail"))),
            doc::Inline::Link {
                text: c.email.clone(),
                href: format!("mailto:{}", c.email),
            },
        ]);
        if let Some(phone) = &c.phone {
            items.push(vec![text(format!(
                "{}: {phone}",
                self.t("Telefon", "Phone")
            ))]);
        }
        if let Some(dpo) = &c.dpo {
            items.push(vec![
                text(format!(
                    "{}: {}",
                    self.t("Dataskyddsombud", "Data protection officer"),
                    dpo.name
                        .as_ref()
                        .map_or_else(String::new, |n| format!("{n}, "))
                )),
                doc::Inline::Link {
                    text: dpo.email.clone(),
                    href: format!("mailto:{}", dpo.email),
                },
            ]);
        }
        self.blocks.push(Block::List(items));
    }

    fn sources(&mut self) {
        let lang = self.lang;
        self.h2(
            "sources",
            "Hur vi samlar in personuppgifter",
            "How we collect personal data",
        );
        self.plain(self.t(
            "Vi samlar in personuppgifter från följande källor:",
            "We collect personal data from these sources:",
        ));
        let mut items = Vec::new();
        for s in self.policy.sources.values() {
            let mut line = named_item(&s.name, s.description.as_ref(), lang);
            if let Some(register) = &s.register {
                line.push(text(format!(
                    " {} {register}.",
                    self.t("Källa:", "Source:")
                )));
            }
            if !s.from_subject {
                let within = s.inform_within.map_or_else(
                    || self.t("så snart vi kan", "as soon as we can").to_owned(),
                    |p| format!("{} {}", self.t("inom", "within"), self.period(p)),
                );
                line.push(text(format!(
                    " {} {within}, {}",
                    self.t(
                        "När vi hämtar uppgifter om dig från andra källor informerar vi dig om det",
                        "When we obtain data about you from other sources we tell you so"
                    ),
                    self.t(
                        "eller senast när vi första gången kontaktar dig.",
                        "or at the latest when we first contact you."
                    )
                )));
            }
            items.push(line);
        }
        self.blocks.push(Block::List(items));
        self.plain(self.t(
            "Vilken information vi samlar in om dig beror på vilken eller vilka av våra tjänster du använder:",
            "Which data we collect about you depends on which of our services you use:",
        ));
        let rows = self
            .policy
            .kinds
            .values()
            .map(|k| {
                let sources: Vec<&str> = k
                    .sources
                    .iter()
                    .filter_map(|s| self.policy.sources.get(s).map(|s| s.name.get(lang)))
                    .collect();
                vec![
                    k.name.get(lang).to_owned(),
                    self.policy
                        .categories
                        .get(&k.category)
                        .map_or_else(String::new, |c| c.name.get(lang).to_owned()),
                    join_names(&sources, lang),
                ]
            })
            .collect();
        self.blocks.push(Block::Table {
            caption: self
                .t("Uppgifter vi behandlar", "Data we process")
                .to_owned(),
            head: vec![
                self.t("Uppgifter", "Data").to_owned(),
                self.t("Kategori", "Category").to_owned(),
                self.t("Varifrån", "Source").to_owned(),
            ],
            rows,
        });
        let described: Vec<Line> = self
            .policy
            .categories
            .values()
            .filter_map(|c| {
                c.description.as_ref().map(|d| {
                    vec![
                        strong(format!("{}:", c.name.get(lang))),
                        text(format!(" {}", d.get(lang))),
                    ]
                })
            })
            .collect();
        if !described.is_empty() {
            self.blocks.push(Block::List(described));
        }
    }

    fn basis_explained(&self, basis: LegalBasis) -> String {
        let name = &self.policy.controller.name;
        match basis {
            LegalBasis::Contract => self.t(
                "när behandlingen är nödvändig för att fullgöra avtalet med dig eller det bolag du representerar, eller för att vidta åtgärder på din begäran innan avtalet ingås",
                "where the processing is necessary to perform the contract with you or the company you represent, or to take steps at your request before entering into it",
            ).to_owned(),
            LegalBasis::LegalObligation => format!(
                "{} {name} {}",
                self.t("när behandlingen är nödvändig för att fullgöra en rättslig förpliktelse som", "where the processing is necessary to fulfil a legal obligation that"),
                self.t("har enligt lag", "has under the law")
            ),
            LegalBasis::LegitimateInterest => self.t(
                "när behandlingen är nödvändig för ett berättigat intresse som vi eller någon annan har och det intresset väger tyngre än dina intressen eller grundläggande rättigheter och friheter (en så kallad intresseavvägning)",
                "where the processing is necessary for a legitimate interest of ours or of someone else, and your interests or fundamental rights and freedoms do not override it (a balancing of interests)",
            ).to_owned(),
            LegalBasis::Consent => self.t(
                "när du har lämnat ditt samtycke till just den behandlingen; du kan när som helst återkalla det",
                "where you have consented to exactly that processing; you can withdraw your consent at any time",
            ).to_owned(),
            LegalBasis::VitalInterest => self.t(
                "när behandlingen är nödvändig för att skydda ditt eller någon annans liv eller hälsa",
                "where the processing is necessary to protect your or someone else's life or health",
            ).to_owned(),
            LegalBasis::PublicTask => self.t(
                "när behandlingen är nödvändig för att utföra en uppgift av allmänt intresse",
                "where the processing is necessary to perform a task in the public interest",
            ).to_owned(),
        }
    }

    fn purposes(&mut self) {
        let lang = self.lang;
        self.h2(
            "purposes",
            "Vad vi använder personuppgifterna till",
            "What we use personal data for",
        );
        self.plain(self.t(
            "Vi behandlar bara personuppgifter när dataskyddsförordningen ger stöd för det, en så kallad rättslig grund. Vi använder följande rättsliga grunder:",
            "We process personal data only where data protection law gives a legal basis for it. We rely on these legal bases:",
        ));
        let mut used: Vec<LegalBasis> = Vec::new();
        for b in self.policy.purposes.values().flat_map(|p| p.basis.values()) {
            if !used.contains(b) {
                used.push(*b);
            }
        }
        let items = LegalBasis::ALL
            .iter()
            .filter(|b| used.contains(b))
            .map(|b| {
                vec![
                    strong(capitalise(b.name(lang))),
                    text(format!(": {}.", self.basis_explained(*b))),
                ]
            })
            .collect();
        self.blocks.push(Block::List(items));
        self.plain(self.t(
            "Nedan följer för vilka ändamål vi behandlar dina personuppgifter och med stöd av vilken rättslig grund.",
            "Below are the purposes for which we process your personal data, and the legal basis of each.",
        ));
        for (id, p) in &self.policy.purposes {
            self.h3(format!("purpose-{id}"), p.name.get(lang).to_owned());
            if let Some(d) = &p.description {
                self.plain(d.get(lang));
            }
            if p.anonymised_only {
                self.plain(self.t(
                    "De personuppgifter som används för detta ändamål anonymiseras.",
                    "Personal data used for this purpose is anonymised.",
                ));
            }
            if p.direct_marketing && !p.channels.is_empty() {
                let channels: Vec<&str> = p.channels.iter().map(|c| c.name(lang)).collect();
                self.plain(format!(
                    "{} {}. {}",
                    self.t(
                        "Du kan få den via exempelvis",
                        "You may receive it by, for example,"
                    ),
                    join_and(&channels, lang),
                    self.t(
                        "Du kan när som helst invända mot direktmarknadsföring, se nedan.",
                        "You can object to direct marketing at any time; see below."
                    )
                ));
                if p.email_exception.is_some() {
                    self.plain(self.t(
                        "E-post utan ditt samtycke skickar vi bara till dig som är kund hos oss, om våra egna liknande produkter och tjänster. Du kan enkelt och kostnadsfritt tacka nej när vi samlar in din adress och i varje utskick.",
                        "We send e-mail without your consent only to you as our customer, about our own similar products and services. You can opt out easily and free of charge when we collect your address and in every message.",
                    ));
                }
            }
            let mut by_basis: Vec<(LegalBasis, Vec<String>)> = Vec::new();
            for (category, basis) in &p.basis {
                let name = self.category_name(category.as_str());
                match by_basis.iter_mut().find(|(b, _)| b == basis) {
                    Some((_, cats)) => cats.push(name),
                    None => by_basis.push((*basis, vec![name])),
                }
            }
            let parts: Vec<String> = by_basis
                .iter()
                .map(|(b, cats)| format!("{} ({})", b.name(lang), join_and(cats, lang)))
                .collect();
            self.para(vec![
                strong(format!("{}:", self.t("Rättslig grund", "Legal basis"))),
                text(format!(" {}.", join_and(&parts, lang))),
            ]);
            if let Some(interest) = &p.legitimate_interest {
                self.plain(format!(
                    "{}: {}.",
                    self.t("Vårt berättigade intresse", "Our legitimate interest"),
                    interest.get(lang)
                ));
            }
            if let Some(law) = &p.law {
                self.plain(format!(
                    "{} {law}.",
                    self.t(
                        "Den rättsliga förpliktelsen följer av",
                        "The legal obligation follows from"
                    )
                ));
            }
            if let Some(required) = p.required {
                let mut sentence = required.describe(lang).to_owned();
                if let Some(consequence) = &p.if_not_provided {
                    sentence.push(' ');
                    sentence.push_str(consequence.get(lang));
                }
                self.plain(sentence);
            }
        }
    }

    fn deadline(&self, d: &Deadline) -> String {
        let anchor = match &d.anchor {
            Anchor::Collection => self.t("insamlingen", "collection").to_owned(),
            Anchor::Event(e) => self.event_name(e.as_str()),
        };
        match d.after {
            Some(p) => format!("{} {} {anchor}", self.period(p), self.t("efter", "after")),
            None => format!("{} {anchor}", self.t("vid", "at")),
        }
    }

    fn rule_sentence(&self, rule: &RetentionRule) -> String {
        let lang = self.lang;
        let subject = if rule.kinds.is_empty() {
            self.policy
                .categories
                .get(&rule.category)
                .map_or_else(String::new, |c| c.name.get(lang).to_owned())
        } else {
            let names: Vec<&str> = rule
                .kinds
                .iter()
                .filter_map(|k| self.policy.kinds.get(k))
                .map(|k| k.name.get(lang))
                .collect();
            join_names(&names, lang)
        };
        // Kinds read as plural ("Page views are"), a category as singular
        // ("Customer data is").
        let be = if rule.kinds.is_empty() { "is" } else { "are" };
        let mut parts = Vec::new();
        if let Some(state) = rule
            .keep_while
            .as_ref()
            .and_then(|s| self.policy.states.get(s))
        {
            // A claim ends by limitation too (preskriptionslagen 2 §).
            let lapses = state
                .lapses_after
                .map(|p| {
                    let renewed = state
                        .renewed_by
                        .as_ref()
                        .map(|e| {
                            format!(" {} {}", self.t("eller", "or"), self.event_name(e.as_str()))
                        })
                        .unwrap_or_default();
                    format!(
                        ", {} {} {} {}{renewed}",
                        self.t("längst", "at most"),
                        self.period(p),
                        self.t("efter", "after"),
                        self.event_name(state.opens.as_str())
                    )
                })
                .unwrap_or_default();
            parts.push(match lang {
                Lang::Sv => format!("sparas {}{lapses}", state.name.get(lang)),
                Lang::En => format!("{be} kept {}{lapses}", state.name.get(lang)),
            });
        }
        if let Some(a) = &rule.anonymise {
            // A page view keeps the visitor's cookie id (hashed): it is
            // pseudonymised, never anonymous (recital 26, C-582/14 Breyer).
            let told_apart = rule.kinds.iter().any(|k| k.as_str() == crate::visit::KIND)
                && self.policy.tells_visitors_apart();
            parts.push(match (lang, told_apart) {
                (Lang::Sv, false) => format!("anonymiseras {}", self.deadline(a)),
                (Lang::En, false) => format!("{be} anonymised {}", self.deadline(a)),
                (Lang::Sv, true) => format!("pseudonymiseras {}", self.deadline(a)),
                (Lang::En, true) => format!("{be} pseudonymised {}", self.deadline(a)),
            });
        }
        if let Some(e) = &rule.erase {
            let then = rule.keep_while.is_some() && rule.anonymise.is_none();
            parts.push(match (lang, then) {
                (Lang::Sv, true) => format!("raderas därefter {}", self.deadline(e)),
                (Lang::Sv, false) => format!("raderas {}", self.deadline(e)),
                (Lang::En, true) => format!("{be} then erased {}", self.deadline(e)),
                (Lang::En, false) => format!("{be} erased {}", self.deadline(e)),
            });
        }
        let otherwise = match (&rule.erase, &rule.otherwise_erase) {
            (
                Some(Deadline {
                    anchor: Anchor::Event(e),
                    ..
                }),
                Some(fallback),
            ) => {
                let event = self.event_name(e.as_str());
                match lang {
                    Lang::Sv => format!(
                        "; inträffar aldrig {event} raderas de {}",
                        self.deadline(fallback)
                    ),
                    Lang::En => format!(
                        "; if {event} never comes, {} erased {}",
                        if rule.kinds.is_empty() {
                            "it is"
                        } else {
                            "they are"
                        },
                        self.deadline(fallback)
                    ),
                }
            }
            _ => String::new(),
        };
        format!("{subject} {}{otherwise}.", join_and(&parts, lang))
    }

    fn statutory_sentence(&self, m: &StatutoryMinimum) -> String {
        let lang = self.lang;
        let accounting: Vec<String> = self
            .policy
            .kinds
            .values()
            .filter(|k| k.accounting_material)
            .map(|k| lowercase_first(k.name.get(lang)))
            .collect();
        let material = self.t(
            "underlag som måste sparas enligt lag",
            "material that the law requires us to keep",
        );
        let what = if accounting.is_empty() {
            capitalise(material)
        } else {
            format!("{} ({})", capitalise(material), join_and(&accounting, lang))
        };
        let years = ordinal(m.years_after_fiscal_year, lang);
        match lang {
            Lang::Sv => format!(
                "{what} sparas enligt {} till och med den 31 december det {years} året efter utgången av det kalenderår då räkenskapsåret avslutades, även när andra uppgifter om dig raderas. Under den tiden används det bara för att uppfylla lagen.",
                m.law
            ),
            Lang::En => format!(
                "{what} is kept under {} through 31 December of the {years} year after the calendar year in which the fiscal year ended, even when other data about you is erased. Meanwhile it is used only to comply with that law.",
                m.law
            ),
        }
    }

    fn retention(&mut self) {
        self.h2(
            "retention",
            "Hur länge vi sparar personuppgifter",
            "How long we keep personal data",
        );
        self.plain(self.t(
            "Vi sparar aldrig personuppgifter längre än vi behöver. Vissa uppgifter raderas direkt, andra sparas olika länge beroende på vad de ska användas till och våra skyldigheter enligt lag.",
            "We never keep personal data longer than we need. Some data is erased at once, other data is kept for different periods depending on its use and our legal duties.",
        ));
        let mut items: Vec<Line> = self
            .policy
            .retention
            .iter()
            .map(|r| vec![text(self.rule_sentence(r))])
            .collect();
        for m in &self.policy.statutory_minimums {
            let sentence = self.statutory_sentence(m);
            items.push(vec![
                strong(format!("{}:", self.t("Undantag", "Exception"))),
                text(format!(" {sentence}")),
            ]);
        }
        self.blocks.push(Block::List(items));
    }

    fn recipients(&mut self) {
        let lang = self.lang;
        self.h2(
            "recipients",
            "Till vem lämnar vi ut personuppgifter",
            "To whom we disclose personal data",
        );
        self.plain(self.t(
            "Vi kan komma att lämna ut dina personuppgifter till:",
            "We may disclose your personal data to:",
        ));
        let mut items = Vec::new();
        for r in self.policy.recipients.values() {
            let mut line = named_item(&r.name, r.description.as_ref(), lang);
            match r.kind {
                RecipientType::Processor => line.push(text(format!(
                    " {}",
                    self.t(
                        "De behandlar uppgifterna för vår räkning enligt ett personuppgiftsbiträdesavtal.",
                        "They process the data on our behalf under a data processing agreement."
                    )
                ))),
                RecipientType::Authority => {}
                RecipientType::ThirdParty => {
                    if r.basis == Some(LegalBasis::Consent) {
                        line.push(text(format!(" {}", self.t("Det sker bara med ditt samtycke.", "This happens only with your consent."))));
                    }
                }
            }
            if r.sub_consultants {
                line.push(text(format!(" {}", self.t(
                    "Vid hög arbetsbelastning kan vi ta in underkonsulter från någon av våra underleverantörer; när de kommer i kontakt med personuppgifter ser vi till att de uppfyller våra krav på hantering av personuppgifter.",
                    "Under high workload we may bring in sub-consultants from one of our suppliers; where they come into contact with personal data we make sure they meet our requirements for handling it.",
                ))));
            }
            let categories: Vec<String> = r
                .categories
                .iter()
                .map(|c| self.category_name(c.as_str()))
                .collect();
            line.push(text(format!(
                " {}: {}.",
                self.t("Uppgifter", "Data"),
                join_and(&categories, lang)
            )));
            for t in r.transfers.iter().filter(|t| t.is_current()) {
                let country = legal::country_name(&t.country, lang);
                let how = t.mechanism.map_or_else(
                    || {
                        self.t("utan angiven skyddsåtgärd", "without a stated safeguard")
                            .to_owned()
                    },
                    |m| {
                        format!(
                            "{} {}",
                            self.t("med stöd av", "relying on"),
                            m.fact().name(lang)
                        )
                    },
                );
                line.push(text(format!(
                    " {} {country}, {how}.",
                    self.t(
                        "Uppgifterna överförs till tredje land:",
                        "The data is transferred to a third country:"
                    )
                )));
            }
            items.push(line);
        }
        self.blocks.push(Block::List(items));
        if self.policy.recipients.values().any(|r| {
            r.transfers
                .iter()
                .any(|t| t.is_current() && !legal::is_eea(&t.country))
        }) {
            let email = self.policy.controller.email.clone();
            self.para(vec![
                text(format!(
                    "{} ",
                    self.t(
                        "När vi överför personuppgifter till ett land utanför EU/EES (så kallat tredje land) vidtar vi lämpliga skyddsåtgärder och säkerställer att uppgifterna hanteras i enlighet med gällande lag. Du kan få en kopia av skyddsåtgärderna, eller veta var de finns tillgängliga, genom att kontakta oss på",
                        "When we transfer personal data to a country outside the EU/EEA (a third country) we take suitable safeguards and make sure the data is handled lawfully. You can get a copy of the safeguards, or learn where they are available, by contacting us at"
                    )
                )),
                doc::Inline::Link {
                    text: email.clone(),
                    href: format!("mailto:{email}"),
                },
                text("."),
            ]);
        }
    }

    fn security(&mut self) {
        let lang = self.lang;
        self.h2(
            "security",
            "Hur vi skyddar dina personuppgifter",
            "How we protect your personal data",
        );
        self.plain(self.t(
            "Vi arbetar ständigt med att skydda våra kunders integritet.",
            "We work continuously to protect our customers' privacy.",
        ));
        let items = self
            .policy
            .security
            .iter()
            .map(|m| vec![text(m.get(lang))])
            .collect();
        self.blocks.push(Block::List(items));
    }

    fn website(&mut self) {
        let lang = self.lang;
        if self.policy.cookies.is_empty() && !self.policy.website.ip_masking {
            return;
        }
        self.h2(
            "cookies",
            "Cookies och besök på vår webbplats",
            "Cookies and visits to our website",
        );
        self.plain(self.t(
            "Vår webbplats använder cookies. Cookies som inte är nödvändiga för att webbplatsen ska fungera använder vi bara om du samtycker till det.",
            "Our website uses cookies. Cookies that are not needed for the website to work are used only if you consent.",
        ));
        let mut visits = Vec::new();
        if self.policy.website.ip_masking {
            visits.push(self.t(
                "IP-adresser maskeras innan något sparas: i en IPv4-adress nollställs den sista delen och i en IPv6-adress de sista 80 bitarna.",
                "IP addresses are masked before anything is stored: the last part of an IPv4 address and the last 80 bits of an IPv6 address are zeroed.",
            ).to_owned());
        }
        if self.policy.tells_visitors_apart() {
            visits.push(self.t(
                "Eftersom en cookie skiljer besökare åt är uppgifterna om besök ändå personuppgifter: de är pseudonymiserade, inte anonyma.",
                "Because a cookie tells visitors apart, the data about visits is still personal data: it is pseudonymised, not anonymous.",
            ).to_owned());
        }
        let erased = self
            .policy
            .kinds
            .get(crate::visit::KIND)
            .and_then(|k| {
                self.policy
                    .retention_rule(k.category.as_str(), crate::visit::KIND)
            })
            .and_then(|r| r.erase.as_ref());
        if let Some(erase) = erased {
            visits.push(format!(
                "{} {}.",
                self.t(
                    "Uppgifterna om besök raderas",
                    "The data about visits is erased"
                ),
                self.deadline(erase)
            ));
        }
        if !visits.is_empty() {
            self.plain(visits.join(" "));
        }
        self.plain(format!(
            "{} {} {}",
            self.t(
                "Statistik över besök redovisar vi aldrig för grupper med färre än",
                "We never report visit statistics for groups of fewer than"
            ),
            self.policy.website.suppress_below,
            self.t("besökare.", "visitors.")
        ));
        if self.policy.cookies.is_empty() {
            return;
        }
        let rows = self
            .policy
            .cookies
            .iter()
            .map(|c| {
                let purpose = if c.strictly_necessary {
                    self.t("Nödvändig", "Strictly necessary").to_owned()
                } else {
                    let names: Vec<&str> = c
                        .purposes
                        .iter()
                        .filter_map(|p| self.policy.purposes.get(p).map(|p| p.name.get(lang)))
                        .collect();
                    join_names(&names, lang)
                };
                let lifetime = match c.lifetime {
                    CookieLifetime::Session => self
                        .t(
                            "Tills du stänger webbläsaren",
                            "Until you close the browser",
                        )
                        .to_owned(),
                    CookieLifetime::For(p) => self.period(p),
                };
                let consent = if c.strictly_necessary {
                    self.t("Nej", "No")
                } else {
                    self.t("Ja", "Yes")
                };
                vec![
                    c.name.clone(),
                    c.provider.clone(),
                    purpose,
                    lifetime,
                    consent.to_owned(),
                ]
            })
            .collect();
        self.blocks.push(Block::Table {
            caption: self
                .t("Cookies på vår webbplats", "Cookies on our website")
                .to_owned(),
            head: vec![
                self.t("Namn", "Name").to_owned(),
                self.t("Leverantör", "Provider").to_owned(),
                self.t("Ändamål", "Purpose").to_owned(),
                self.t("Lagringstid", "Lifetime").to_owned(),
                self.t("Kräver samtycke", "Needs consent").to_owned(),
            ],
            rows,
        });
    }

    fn rights(&mut self) {
        let lang = self.lang;
        let c = &self.policy.controller;
        self.h2(
            "your-rights",
            "Du bestämmer över dina personuppgifter",
            "You decide over your personal data",
        );
        let mut consent: Vec<String> = self
            .policy
            .consent_purposes()
            .map(|(_, p)| {
                let cats: Vec<String> = p
                    .basis
                    .iter()
                    .filter(|(_, b)| **b == LegalBasis::Consent)
                    .map(|(c, _)| self.category_name(c.as_str()))
                    .collect();
                format!(
                    "{} ({})",
                    lowercase_first(p.name.get(lang)),
                    join_and(&cats, lang)
                )
            })
            .collect();
        // A disclosure that rests on consent (P19) is consented to as well:
        // listed once, whichever purposes it serves.
        for r in self
            .policy
            .recipients
            .values()
            .filter(|r| r.basis == Some(LegalBasis::Consent))
        {
            let cats: Vec<String> = r
                .categories
                .iter()
                .map(|c| self.category_name(c.as_str()))
                .collect();
            consent.push(format!(
                "{} {} ({})",
                self.t("utlämnande till", "disclosure to"),
                lowercase_first(r.name.get(lang)),
                join_and(&cats, lang)
            ));
        }
        if !consent.is_empty() {
            let mut via: Vec<WithdrawalChannel> = Vec::new();
            for (_, p) in self.policy.consent_purposes() {
                for w in &p.withdraw_via {
                    if !via.contains(w) {
                        via.push(*w);
                    }
                }
            }
            let via: Vec<&str> = via.iter().map(|w| w.describe(lang)).collect();
            self.plain(format!(
                "{} {}. {} {}. {}",
                self.t("Viss behandling av personuppgifter baseras på att vi har ditt samtycke:", "Some processing is based on your consent:"),
                join_and(&consent, lang),
                self.t(
                    "Du bestämmer alltid vilken behandling du samtycker till, och du kan alltid återkalla ditt samtycke",
                    "You always decide what you consent to, and you can always withdraw your consent"
                ),
                join_or(&via, lang),
                self.t(
                    "Det är lika enkelt att återkalla samtycket som att lämna det. Återkallelsen påverkar inte lagligheten av behandling som skett innan du återkallade samtycket.",
                    "Withdrawing is as easy as consenting. Withdrawal does not affect the lawfulness of processing based on consent before its withdrawal."
                )
            ));
        }
        self.h3(
            "rights".into(),
            self.t("Dina rättigheter", "Your rights").to_owned(),
        );
        let items = vec![
            self.t("Rätt till tillgång: du kan få veta vilka uppgifter vi har om dig och få en kopia av dem.", "Access: you can learn which data we hold about you and get a copy."),
            self.t("Rätt till rättelse av felaktiga personuppgifter och till komplettering av ofullständiga.", "Rectification of inaccurate personal data, and completion of incomplete data."),
            self.t("Rätt till radering, utom av uppgifter som vi måste spara enligt lag eller behöver för rättsliga anspråk.", "Erasure, except of data the law requires us to keep or that we need for legal claims."),
            self.t("Rätt till begränsning av behandling: uppgifterna sparas men används i övrigt bara med ditt samtycke eller för rättsliga anspråk.", "Restriction of processing: the data is stored, and otherwise used only with your consent or for legal claims."),
            self.t("Rätt till dataportabilitet för uppgifter som du själv har lämnat och som vi behandlar med stöd av ditt samtycke eller ett avtal med dig.", "Portability of the data you provided that we process on the basis of your consent or a contract with you."),
            self.t("Rätt att invända mot behandling, se nedan.", "Objection to processing; see below."),
        ]
        .into_iter()
        .map(|s| vec![text(s)])
        .collect();
        self.blocks.push(Block::List(items));
        self.para(vec![
            text(format!(
                "{} ",
                self.t(
                    "Vi svarar utan onödigt dröjsmål och senast inom en månad. Om din begäran är komplicerad eller om vi får många begäranden kan vi förlänga tiden med högst två månader; då meddelar vi dig det inom den första månaden och förklarar varför. Kontakta oss på",
                    "We answer without undue delay and within one month at the latest. If your request is complex or we receive many, we may extend that by at most two further months; we then tell you so within the first month, with the reasons. Contact us at"
                )
            )),
            doc::Inline::Link { text: c.email.clone(), href: format!("mailto:{}", c.email) },
            text("."),
        ]);
        self.objection();
        self.automated_decisions();
        self.h3(
            "complaints".into(),
            self.t("Klagomål", "Complaints").to_owned(),
        );
        let sa = &c.supervisory_authority;
        self.para(vec![
            text(format!(
                "{} ",
                self.t(
                    "Du har rätt att lämna klagomål till tillsynsmyndigheten,",
                    "You have the right to lodge a complaint with the supervisory authority,"
                )
            )),
            doc::Inline::Link {
                text: sa.name.clone(),
                href: sa.url.clone(),
            },
            text(format!(
                ". {}",
                self.t(
                    "Du kan också vända dig till allmän domstol.",
                    "You can also bring the matter before a court."
                )
            )),
        ]);
    }

    /// The right to object, presented clearly and separately from the
    /// other rights (Art. 21(4)).
    fn objection(&mut self) {
        let interests = self.policy.purposes.values().any(|p| {
            p.rests_on(LegalBasis::LegitimateInterest) || p.rests_on(LegalBasis::PublicTask)
        });
        let marketing = self.policy.purposes.values().any(|p| p.direct_marketing);
        if !interests && !marketing {
            return;
        }
        self.h3(
            "objection".into(),
            self.t("Din rätt att invända", "Your right to object")
                .to_owned(),
        );
        if marketing {
            self.para(vec![
                strong(self.t(
                    "Rätt att invända mot direktmarknadsföring.",
                    "Right to object to direct marketing.",
                )),
                text(format!(" {}", self.t(
                    "Du har rätt att när som helst invända mot att dina personuppgifter används för direktmarknadsföring, inklusive profilering som hör ihop med direktmarknadsföringen. Då slutar vi omedelbart att använda dem för det ändamålet.",
                    "You have the right to object at any time to your personal data being used for direct marketing, including profiling related to it. We then stop using it for that purpose at once.",
                ))),
            ]);
        }
        if interests {
            self.para(vec![
                strong(self.t(
                    "Rätt att invända mot behandling som grundar sig på vårt berättigade intresse.",
                    "Right to object to processing based on our legitimate interest.",
                )),
                text(format!(" {}", self.t(
                    "Du har rätt att när som helst, av skäl som hänför sig till din särskilda situation, invända mot sådan behandling, inklusive profilering. Då upphör vi med den, om vi inte kan visa tvingande berättigade skäl som väger tyngre än dina intressen, rättigheter och friheter, eller om den behövs för att fastställa, göra gällande eller försvara rättsliga anspråk.",
                    "You have the right to object at any time, on grounds relating to your particular situation, to such processing, including profiling. We then stop, unless we can show compelling legitimate grounds that override your interests, rights and freedoms, or the processing is needed to establish, exercise or defend legal claims.",
                ))),
            ]);
        }
    }

    /// Automated decisions, including profiling (Art. 13(2)(f)).
    fn automated_decisions(&mut self) {
        let Some(a) = &self.policy.automated_decisions else {
            return;
        };
        self.h3(
            "automated-decisions".into(),
            self.t("Automatiserade beslut", "Automated decisions")
                .to_owned(),
        );
        let mut sentence = if a.used {
            self.t(
                "Vi fattar beslut om dig som enbart grundas på automatiserad behandling.",
                "We make decisions about you based solely on automated processing.",
            )
            .to_owned()
        } else {
            self.t(
                "Vi fattar inga beslut om dig som enbart grundas på automatiserad behandling, inklusive profilering, och som har rättsliga följder för dig eller på liknande sätt påverkar dig i betydande grad.",
                "We make no decisions about you based solely on automated processing, including profiling, that have legal effects for you or similarly significantly affect you.",
            )
            .to_owned()
        };
        if let Some(d) = &a.description {
            sentence.push(' ');
            sentence.push_str(d.get(self.lang));
        }
        if a.used {
            sentence.push(' ');
            sentence.push_str(self.t(
                "Du har rätt att få ett sådant beslut prövat av en människa, att framföra din synpunkt och att bestrida beslutet.",
                "You have the right to have such a decision reviewed by a person, to express your point of view and to contest the decision.",
            ));
        }
        self.plain(sentence);
    }
}

/// The sentence the notice uses for a retention rule.
pub(crate) fn retention_sentence(policy: &Policy, rule: &RetentionRule, lang: Lang) -> String {
    Builder {
        policy,
        lang,
        blocks: Vec::new(),
    }
    .rule_sentence(rule)
}

/// The notice's sentences for the statutory minimums.
pub(crate) fn statutory_sentences(policy: &Policy, lang: Lang) -> Vec<String> {
    let b = Builder {
        policy,
        lang,
        blocks: Vec::new(),
    };
    policy
        .statutory_minimums
        .iter()
        .map(|m| b.statutory_sentence(m))
        .collect()
}

fn ordinal(n: i16, lang: Lang) -> String {
    const SV: [&str; 10] = [
        "första", "andra", "tredje", "fjärde", "femte", "sjätte", "sjunde", "åttonde", "nionde",
        "tionde",
    ];
    const EN: [&str; 10] = [
        "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
        "tenth",
    ];
    let word = usize::try_from(n)
        .ok()
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| lang.pick_slice(&SV, &EN).get(i).copied());
    match (word, lang) {
        (Some(w), _) => w.to_owned(),
        (None, Lang::Sv) => format!("{n}:e"),
        (None, Lang::En) => format!("{n}th"),
    }
}

/// The notice as a document, ready to write in any format.
pub fn document(policy: &Policy, lang: Lang) -> Document {
    let mut b = Builder {
        policy,
        lang,
        blocks: Vec::new(),
    };
    if let Some(intro) = &policy.intro {
        b.plain(intro.get(lang));
    }
    b.controller();
    b.sources();
    b.purposes();
    b.retention();
    b.recipients();
    b.security();
    b.website();
    b.rights();
    Document {
        lang,
        title: title(policy, lang),
        blocks: b.blocks,
    }
}

/// "Integritetspolicy – Winston AB".
pub fn title(policy: &Policy, lang: Lang) -> String {
    format!(
        "{} – {}",
        lang.pick("Integritetspolicy", "Privacy policy"),
        policy.controller.name
    )
}

/// The version of the published notice: the first 128 bits, in hex, of the
/// SHA-256 of its machine-readable form in both languages. Consents record
/// it, so that it can be shown later what the subject was told; any change
/// that reaches the notice changes it, and nothing else does.
pub fn version(policy: &Policy) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for lang in [Lang::Sv, Lang::En] {
        hash.update(json(policy, lang).to_string().as_bytes());
        hash.update(b"\n");
    }
    let digest = hash.finalize();
    hex::encode(digest.get(..16).unwrap_or_default())
}
