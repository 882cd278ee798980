//! Country-prefixed forms of national identifiers.
//!
//! Sources:
//! - X-Road: the `X-Road-UserId` header of the X-Road Message Protocol for
//!   REST (Nordic Institute for Interoperability Solutions, PR-MREST) carries
//!   the user's identifier prefixed by the ISO 3166-1 alpha-2 code of the
//!   country that issued it: `EE38001085718`.
//! - eIDAS: the eIDAS SAML Attribute Profile (eIDAS Technical
//!   Sub-group, v1.2, PersonIdentifier / LegalPersonIdentifier) and
//!   Commission Implementing Regulation (EU) 2015/1501: "the first part is
//!   the Nationality Code of the identifier …, the second part is the
//!   Nationality Code of the destination country …, the third part a
//!   combination of readable characters", separated by `/`:
//!   `NO/SE/15108695088`.
//! - ETSI EN 319 412-1, § 5.1.3 (semantics identifiers in certificates):
//!   `PNO` + country + `-` + national personal number (`PNOEE-38001085718`),
//!   `NTR` + country + `-` + national trade register number.
//!
//! The identifier after the prefix is validated by the issuing country's rules.

use chrono::NaiveDate;

use super::{COUNTRIES, Invalid, Kind, Reason, Valid};

const SCHEME: &str = "country-prefixed identifier";

struct Split<'a> {
    prefix: &'a str,
    issuing: &'a str,
    rest: &'a str,
    /// The kind an ETSI prefix names.
    kind: Option<Kind>,
}

fn two_letters(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())
}

fn split(value: &str) -> Result<Split<'_>, String> {
    if value.contains('/') {
        let parts: Vec<&str> = value.splitn(3, '/').collect();
        return match parts.as_slice() {
            [issuing, destination, rest]
                if two_letters(issuing) && two_letters(destination) && !rest.is_empty() =>
            {
                Ok(Split {
                    prefix: &value[..6],
                    issuing,
                    rest,
                    kind: None,
                })
            }
            _ => Err(
                "not an eIDAS identifier `issuing country/destination country/identifier` (two upper-case letters each, then the identifier)"
                    .into(),
            ),
        };
    }
    let etsi = |tag: &str| {
        value.len() > 6
            && value.starts_with(tag)
            && value.is_char_boundary(6)
            && two_letters(&value[3..5])
            && &value[5..6] == "-"
    };
    if etsi("PNO") || etsi("NTR") {
        return Ok(Split {
            prefix: &value[..6],
            issuing: &value[3..5],
            rest: &value[6..],
            kind: Some(if value.starts_with("PNO") {
                Kind::Person
            } else {
                Kind::Organisation
            }),
        });
    }
    if value.len() > 2 && value.is_char_boundary(2) && two_letters(&value[..2]) {
        return Ok(Split {
            prefix: &value[..2],
            issuing: &value[..2],
            rest: &value[2..],
            kind: None,
        });
    }
    Err(
        "no country prefix: expected `CC` and the identifier (X-Road), `CC/CC/identifier` (eIDAS) or `PNOCC-`/`NTRCC-` (ETSI EN 319 412-1)"
            .into(),
    )
}

/// Whether an identifier issued by `issuing` counts as one of `expected`.
fn same_rules(expected: &str, issuing: &str) -> bool {
    expected == issuing || matches!((expected, issuing), ("AX", "FI") | ("GL", "DK"))
}

pub(super) fn validate(
    expected: Option<&str>,
    kind: Kind,
    value: &str,
    today: NaiveDate,
) -> Result<Valid, Invalid> {
    let expected = expected.map(|c| c.trim().to_ascii_uppercase());
    let label = expected.clone().unwrap_or_default();
    let fail = |why: String| Invalid::new(&label, SCHEME, value, Reason::Prefix(why));
    let split = split(value).map_err(fail)?;
    let Some(issuing) = COUNTRIES.iter().copied().find(|c| *c == split.issuing) else {
        return Err(fail(format!(
            "the issuing country `{}` is not one of {}",
            split.issuing,
            COUNTRIES.join(", ")
        )));
    };
    if let Some(e) = &expected
        && !same_rules(e, issuing)
    {
        return Err(fail(format!(
            "issued by {issuing} (prefix `{}`), expected {e}",
            split.prefix
        )));
    }
    if let Some(k) = split.kind
        && k != kind
    {
        return Err(fail(format!(
            "the prefix `{}` names the identifier of a {k}, not of a {kind}",
            &split.prefix[..3]
        )));
    }
    let inner = super::validate_at(issuing, kind, split.rest, today)?;
    Ok(Valid {
        country: issuing,
        normalised: format!("{}{}", split.prefix, inner.normalised),
        mask_keep: split.prefix.chars().count() + inner.mask_keep,
        ..inner
    })
}

#[cfg(test)]
mod tests {
    use super::super::validate_prefixed_at;
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
    }
    fn p(cc: Option<&str>, kind: Kind, v: &str) -> Result<Valid, Invalid> {
        validate_prefixed_at(cc, kind, v, today())
    }

    #[test]
    fn x_road_user_ids() {
        let v = p(Some("EE"), Kind::Person, "EE38001085718").unwrap();
        assert_eq!(v.country, "EE");
        assert_eq!(v.masked(), "EE3800108****");
        // TARA's test user.
        let v = p(None, Kind::Person, "EE60001019906").unwrap();
        assert_eq!(v.birth_date, NaiveDate::from_ymd_opt(2000, 1, 1));
        assert!(p(Some("FI"), Kind::Person, "FI131052-308T").is_ok());
        assert!(p(Some("AX"), Kind::Person, "FI131052-308T").is_ok());
        let e = p(Some("FI"), Kind::Person, "EE38001085718").unwrap_err();
        assert!(e.to_string().contains("issued by EE"), "{e}");
        assert!(
            e.to_string().contains("EE3800108****"),
            "the value is masked: {e}"
        );
        let e = p(Some("EE"), Kind::Person, "EE38001085719").unwrap_err();
        assert_eq!(
            e.to_string(),
            "EE personal identification code 38001085719: check digit is 9, expected 8"
        );
        let e = p(None, Kind::Person, "DE12345").unwrap_err();
        assert!(matches!(e.reason, Reason::Prefix(_)), "{e}");
        assert!(p(None, Kind::Person, "38001085718").is_err());
    }

    #[test]
    fn eidas_identifiers() {
        let v = p(Some("NO"), Kind::Person, "NO/SE/15108695088").unwrap();
        assert_eq!(v.normalised, "NO/SE/15108695088");
        assert_eq!(v.masked(), "NO/SE/151086*****");
        assert!(p(Some("SE"), Kind::Person, "SE/NO/19121212-1212").is_ok());
        assert!(p(None, Kind::Organisation, "NO/DK/974760673").is_ok());
        let e = p(None, Kind::Person, "NO/S/15108695088").unwrap_err();
        assert!(matches!(e.reason, Reason::Prefix(_)), "{e}");
    }

    #[test]
    fn etsi_semantics_identifiers() {
        assert!(p(Some("EE"), Kind::Person, "PNOEE-38001085718").is_ok());
        assert!(p(Some("NO"), Kind::Organisation, "NTRNO-974760673").is_ok());
        let e = p(Some("NO"), Kind::Person, "NTRNO-974760673").unwrap_err();
        assert!(e.to_string().contains("organisation"), "{e}");
        assert!(p(None, Kind::Person, "PNOLV-329999-99901").is_ok());
    }
}
