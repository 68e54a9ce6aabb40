//! Who a data subject is: the caller's stable id and the identifiers a
//! subject can be found by.
//!
//! Each is a newtype that only `parse` builds, so a value that exists is
//! valid and normalised: two spellings of one e-mail address or phone
//! number are the same value, which is what makes lookup by identifier
//! work. A personnummer is never shown in full by `Display`; see
//! [`Personnummer::masked`].

use std::fmt;

use jiff::civil::Date;
use serde::Serialize;

/// Why an identifier was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error(
        "`{0}` is not a subject id: use 1–128 visible characters without spaces (e.g. a customer number)"
    )]
    SubjectId(String),
    #[error("`{0}` is not an e-mail address")]
    Email(String),
    #[error(
        "`{0}` is not a phone number: write digits, optionally with a leading + and spaces or dashes (e.g. 070-123 45 67 or +46 70 123 45 67)"
    )]
    Phone(String),
    #[error("not a personnummer: {0}")]
    Personnummer(String),
}

/// The caller's stable id for a data subject (a customer number, an
/// account id). It is not published in the audit chain: that uses the
/// subject's pseudonym.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct SubjectId(String);

impl SubjectId {
    pub fn parse(s: &str) -> Result<SubjectId, IdentityError> {
        let ok = (1..=128).contains(&s.chars().count())
            && s.chars().all(|c| !c.is_whitespace() && !c.is_control());
        if ok {
            Ok(SubjectId(s.to_owned()))
        } else {
            Err(IdentityError::SubjectId(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SubjectId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SubjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address, lowercased.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Email, IdentityError> {
        let t = s.trim();
        let bad = || IdentityError::Email(s.to_owned());
        let (local, domain) = t.split_once('@').ok_or_else(bad)?;
        let ok = !local.is_empty()
            && local.len() <= 64
            && t.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@')
            && t.chars()
                .all(|c| c.is_alphanumeric() || "@.!#$%&'*+/=?^_`{|}~-".contains(c));
        if ok {
            Ok(Email(t.to_lowercase()))
        } else {
            Err(bad())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number in international form (`+46701234567`). A national
/// number (`070-123 45 67`) is taken as Swedish.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str) -> Result<Phone, IdentityError> {
        let bad = || IdentityError::Phone(s.to_owned());
        let t = s.trim();
        let (plus, rest) = match t.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        if !rest
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'))
        {
            return Err(bad());
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        let international = if plus {
            digits
        } else if let Some(national) = digits.strip_prefix("00") {
            national.to_owned()
        } else if let Some(national) = digits.strip_prefix('0') {
            format!("46{national}")
        } else {
            return Err(bad());
        };
        if !(8..=15).contains(&international.len()) || international.starts_with('0') {
            return Err(bad());
        }
        Ok(Phone(format!("+{international}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Swedish personnummer or samordningsnummer, checked by its date and
/// its check digit, held as twelve digits `YYYYMMDDNNNC`.
///
/// It is personal data that the law (lag 2018:218, 3 kap. 10 §) wants shown
/// as little as possible, so `Display` and `Debug` mask the last four
/// digits; the full number comes only from [`Personnummer::full`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Personnummer(String);

impl Personnummer {
    /// Parses `YYYYMMDD-NNNC`, `YYYYMMDDNNNC`, `YYMMDD-NNNC` or
    /// `YYMMDD+NNNC` (`+`: a hundred years or more old). The century of a
    /// ten-digit form is the one that makes the person at most 99 years old
    /// on `today` (or 100 or more with `+`).
    pub fn parse(s: &str, today: Date) -> Result<Personnummer, IdentityError> {
        let bad = |why: &str| IdentityError::Personnummer(format!("`{}`: {why}", mask_input(s)));
        let t = s.trim();
        let (head, sep, tail) = match t.find(['-', '+']) {
            Some(i) => (
                t.get(..i).unwrap_or_default(),
                t.get(i..=i),
                t.get(i + 1..).unwrap_or_default(),
            ),
            None if t.len() >= 4 => (
                t.get(..t.len() - 4).unwrap_or_default(),
                None,
                t.get(t.len() - 4..).unwrap_or_default(),
            ),
            None => return Err(bad("write YYYYMMDD-NNNN or YYMMDD-NNNN")),
        };
        let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
        if !digits(head) || !digits(tail) || tail.len() != 4 {
            return Err(bad("write YYYYMMDD-NNNN or YYMMDD-NNNN"));
        }
        let twelve = match head.len() {
            8 if sep != Some("+") => format!("{head}{tail}"),
            6 => {
                let yy: i16 = head.get(..2).and_then(|y| y.parse().ok()).unwrap_or(0);
                let mut year = today.year() - (today.year() - yy).rem_euclid(100);
                if sep == Some("+") {
                    year -= 100;
                }
                format!("{year:04}{}{tail}", head.get(2..).unwrap_or_default())
            }
            _ => return Err(bad("write YYYYMMDD-NNNN or YYMMDD-NNNN")),
        };
        let num = |range: std::ops::Range<usize>| -> i16 {
            twelve.get(range).and_then(|x| x.parse().ok()).unwrap_or(0)
        };
        let (year, month, mut day) = (num(0..4), num(4..6), num(6..8));
        if day > 60 {
            day -= 60; // samordningsnummer
        }
        let born = i8::try_from(month)
            .ok()
            .zip(i8::try_from(day).ok())
            .and_then(|(m, d)| Date::new(year, m, d).ok())
            .ok_or_else(|| bad("no such date of birth"))?;
        if born > today {
            return Err(bad("the date of birth is in the future"));
        }
        if !luhn(twelve.get(2..).unwrap_or_default()) {
            return Err(bad("the check digit is wrong"));
        }
        Ok(Personnummer(twelve))
    }

    /// The personnummer of someone born on `born` with birth number
    /// `serial` (0–999), its check digit computed: for synthetic data.
    pub fn from_birth(born: Date, serial: u16) -> Personnummer {
        let head = format!(
            "{:04}{:02}{:02}{:03}",
            born.year(),
            born.month(),
            born.day(),
            serial % 1000
        );
        let check = (0..10u8)
            .find(|c| luhn(&format!("{}{c}", head.get(2..).unwrap_or_default())))
            .unwrap_or(0);
        Personnummer(format!("{head}{check}"))
    }

    /// All twelve digits, `YYYYMMDDNNNC`: for storage, lookup, and roles
    /// that need it.
    pub fn full(&self) -> &str {
        &self.0
    }

    /// `YYYYMMDD-****`: what every other reader sees.
    pub fn masked(&self) -> String {
        format!("{}-****", self.0.get(..8).unwrap_or_default())
    }
}

impl fmt::Display for Personnummer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for Personnummer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Personnummer({})", self.masked())
    }
}

/// Masks the last four characters of rejected input, so that an error
/// message never repeats a whole number.
fn mask_input(s: &str) -> String {
    let t = s.trim();
    let n = t.chars().count();
    t.chars()
        .enumerate()
        .map(|(i, c)| if i + 4 >= n && n > 4 { '*' } else { c })
        .collect()
}

/// The Luhn check over the ten digits `YYMMDDNNNC`.
fn luhn(ten: &str) -> bool {
    let sum: u32 = ten
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            let d = if i % 2 == 0 { d * 2 } else { d };
            d / 10 + d % 10
        })
        .sum();
    ten.len() == 10 && sum.is_multiple_of(10)
}

/// What a subject can be looked up by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Identifier {
    Email(Email),
    Phone(Phone),
    Personnummer(Personnummer),
}

impl Identifier {
    /// The identifiers given, each checked and normalised, in the order
    /// email, phone, personnummer; `today` dates a personnummer's
    /// century.
    pub fn each(
        email: Option<&str>,
        phone: Option<&str>,
        personnummer: Option<&str>,
        today: Date,
    ) -> Result<Vec<Identifier>, IdentityError> {
        let mut out = Vec::new();
        if let Some(e) = email {
            out.push(Identifier::Email(Email::parse(e)?));
        }
        if let Some(p) = phone {
            out.push(Identifier::Phone(Phone::parse(p)?));
        }
        if let Some(p) = personnummer {
            out.push(Identifier::Personnummer(Personnummer::parse(p, today)?));
        }
        Ok(out)
    }

    /// `email`, `phone` or `personnummer`.
    pub fn kind(&self) -> &'static str {
        match self {
            Identifier::Email(_) => "email",
            Identifier::Phone(_) => "phone",
            Identifier::Personnummer(_) => "personnummer",
        }
    }

    /// The normalised value, as stored and looked up.
    pub fn value(&self) -> &str {
        match self {
            Identifier::Email(e) => e.as_str(),
            Identifier::Phone(p) => p.as_str(),
            Identifier::Personnummer(p) => p.full(),
        }
    }

    /// Rebuilds an identifier the store holds; `None` if the kind is
    /// unknown or the value no longer parses.
    pub fn from_stored(kind: &str, value: &str) -> Option<Identifier> {
        match kind {
            "email" => Email::parse(value).ok().map(Identifier::Email),
            "phone" => Phone::parse(value).ok().map(Identifier::Phone),
            // Stored values are twelve digits and were checked on the way
            // in; the date bound only matters for ten-digit input.
            "personnummer" => Personnummer::parse(value, Date::MAX)
                .ok()
                .map(Identifier::Personnummer),
            _ => None,
        }
    }

    /// The value as a reader sees it: a personnummer masked unless
    /// `reveal`.
    pub fn shown(&self, reveal: bool) -> String {
        match self {
            Identifier::Personnummer(p) if !reveal => p.masked(),
            other => other.value().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::constant(2026, 11, 25)
    }

    #[test]
    fn personnummer_forms_agree() {
        // Skatteverket's test number 19811218-9876.
        for s in ["19811218-9876", "198112189876", "811218-9876", "8112189876"] {
            let p = Personnummer::parse(s, today()).unwrap();
            assert_eq!(p.full(), "198112189876", "{s}");
            assert_eq!(p.to_string(), "19811218-****");
        }
        assert_eq!(
            Personnummer::parse("121212+1212", today()).unwrap().full(),
            "191212121212"
        );
        assert_eq!(
            Personnummer::parse("121212-1212", today()).unwrap().full(),
            "201212121212"
        );
    }

    #[test]
    fn personnummer_refusals_say_why_without_the_number() {
        let err = |s| Personnummer::parse(s, today()).unwrap_err().to_string();
        assert!(err("19811218-9875").contains("check digit"));
        assert!(err("19811318-9876").contains("no such date"));
        assert!(err("20991218-9876").contains("future"));
        assert!(err("1981-12-18").contains("write"));
        assert!(!err("19811218-9875").contains("9875"));
        // Samordningsnummer: day + 60.
        assert!(Personnummer::parse("701063-2391", today()).is_ok());
    }

    #[test]
    fn synthetic_personnummer_parse_back() {
        for serial in [0, 1, 42, 999] {
            let p = Personnummer::from_birth(Date::constant(1981, 12, 18), serial);
            assert_eq!(Personnummer::parse(p.full(), today()).unwrap(), p);
        }
        assert_eq!(
            Personnummer::from_birth(Date::constant(1981, 12, 18), 987).full(),
            "198112189876"
        );
    }

    #[test]
    fn phone_and_email_normalise() {
        assert_eq!(
            Phone::parse("070-123 45 67").unwrap().as_str(),
            "+46701234567"
        );
        assert_eq!(
            Phone::parse("+46 70 123 45 67").unwrap().as_str(),
            "+46701234567"
        );
        assert_eq!(
            Phone::parse("0046701234567").unwrap().as_str(),
            "+46701234567"
        );
        assert!(Phone::parse("hello").is_err());
        assert_eq!(
            Email::parse(" Anna@Example.SE ").unwrap().as_str(),
            "anna@example.se"
        );
        assert!(Email::parse("anna@localhost").is_err());
        assert!(Email::parse("anna").is_err());
    }
}
