//! The data subject's rights, and which of them a legal basis gives.
//!
//! Rights follow the basis (GDPR Art. 17(3)(b), 20(1), 21(1), 7(3); the
//! mapping the W3C Data Privacy Vocabulary and the supervisory authorities
//! publish): objection applies to legitimate interest and public task,
//! portability to consent and contract, erasure to neither legal
//! obligation nor public task, withdrawal only to consent. Request
//! handling asks [`LegalBasis::rights`] instead of deciding again.

use serde::Serialize;

use crate::policy::LegalBasis;
use crate::text::Lang;

/// A right of the data subject under the GDPR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Right {
    Access,
    Rectification,
    Erasure,
    Restriction,
    Portability,
    Objection,
    WithdrawConsent,
}

impl Right {
    pub const ALL: [Right; 7] = [
        Right::Access,
        Right::Rectification,
        Right::Erasure,
        Right::Restriction,
        Right::Portability,
        Right::Objection,
        Right::WithdrawConsent,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Right::Access => "access",
            Right::Rectification => "rectification",
            Right::Erasure => "erasure",
            Right::Restriction => "restriction",
            Right::Portability => "portability",
            Right::Objection => "objection",
            Right::WithdrawConsent => "withdraw-consent",
        }
    }

    /// The article that gives it.
    pub fn article(self) -> &'static str {
        match self {
            Right::Access => "GDPR Art. 15",
            Right::Rectification => "GDPR Art. 16",
            Right::Erasure => "GDPR Art. 17",
            Right::Restriction => "GDPR Art. 18",
            Right::Portability => "GDPR Art. 20",
            Right::Objection => "GDPR Art. 21",
            Right::WithdrawConsent => "GDPR Art. 7(3)",
        }
    }

    /// The W3C DPV term.
    pub fn dpv(self) -> &'static str {
        match self {
            Right::Access => "eu-gdpr:A15",
            Right::Rectification => "eu-gdpr:A16",
            Right::Erasure => "eu-gdpr:A17",
            Right::Restriction => "eu-gdpr:A18",
            Right::Portability => "eu-gdpr:A20",
            Right::Objection => "eu-gdpr:A21",
            Right::WithdrawConsent => "eu-gdpr:A7-3",
        }
    }

    pub fn name(self, lang: Lang) -> &'static str {
        match self {
            Right::Access => lang.pick("rätt till tillgång", "right of access"),
            Right::Rectification => lang.pick("rätt till rättelse", "right to rectification"),
            Right::Erasure => lang.pick("rätt till radering", "right to erasure"),
            Right::Restriction => lang.pick("rätt till begränsning", "right to restriction"),
            Right::Portability => lang.pick("rätt till dataportabilitet", "right to portability"),
            Right::Objection => lang.pick("rätt att invända", "right to object"),
            Right::WithdrawConsent => {
                lang.pick("rätt att återkalla samtycke", "right to withdraw consent")
            }
        }
    }
}

impl LegalBasis {
    /// The rights processing on this basis gives the data subject.
    pub fn rights(self) -> &'static [Right] {
        use Right::*;
        match self {
            LegalBasis::Consent => &[
                Access,
                Rectification,
                Erasure,
                Restriction,
                Portability,
                WithdrawConsent,
            ],
            LegalBasis::Contract => &[Access, Rectification, Erasure, Restriction, Portability],
            LegalBasis::LegalObligation => &[Access, Rectification, Restriction],
            LegalBasis::VitalInterest => &[Access, Rectification, Erasure, Restriction],
            LegalBasis::PublicTask => &[Access, Rectification, Restriction, Objection],
            LegalBasis::LegitimateInterest => {
                &[Access, Rectification, Erasure, Restriction, Objection]
            }
        }
    }

    pub fn gives(self, right: Right) -> bool {
        self.rights().contains(&right)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rights_follow_the_basis() {
        let with = |r: Right| -> Vec<&str> {
            LegalBasis::ALL
                .iter()
                .filter(|b| b.gives(r))
                .map(|b| b.id())
                .collect()
        };
        assert_eq!(with(Right::Portability), ["consent", "contract"]);
        assert_eq!(
            with(Right::Objection),
            ["public-task", "legitimate-interest"]
        );
        assert_eq!(with(Right::WithdrawConsent), ["consent"]);
        assert_eq!(
            with(Right::Erasure),
            [
                "consent",
                "contract",
                "vital-interest",
                "legitimate-interest"
            ]
        );
        assert_eq!(with(Right::Access).len(), 6);
        assert_eq!(with(Right::Restriction).len(), 6);
    }
}
