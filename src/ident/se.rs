//! Sweden: personnummer and samordningsnummer, organisationsnummer.
//!
//! Sources:
//! - Skatteverket, SKV 704 "Personnummer" (the form YYMMDD-NNNC; the Luhn
//!   check digit over the ten digits; the `-` separator becomes `+` from the
//!   year the person turns 100; the 12-digit form YYYYMMDDNNNC); the
//!   separator rule is Folkbokföringslagen (1991:481) § 18.
//! - Skatteverket, SKV 707 "Samordningsnummer" and Skatteverket's
//!   rättslig vägledning, "Samordningsnummer",
//!   <https://www4.skatteverket.se/rattsligvagledning/edition/2016.5/330251.html>
//!   (18 a § folkbokföringslagen): the day of birth plus 60, an individual
//!   number 001–999, the check digit computed as for personnummer; worked
//!   example 701063-2391. Samordningsnummer with
//!   an incompletely known birth date (day or month 00) are not accepted
//!   here: SKV 707's handling of them could not be confirmed.
//! - Lag (1974:174) om identitetsbeteckning för juridiska personer m.fl.,
//!   Skatteverket, SKV 709 "Organisationsnummer" and Bolagsverket: ten
//!   digits NNNNNN-NNNC with a Luhn check digit; the third digit is at least
//!   2 ("month" 20 or more) so that no organisation number is a personnummer;
//!   the 12-digit form prefixes `16`. Sole traders use their personnummer as
//!   organisation number: that is a personal identifier and fails here.
//! - Test identities: Skatteverket's well-known test number 19121212-1212;
//!   Skatteverket's own organisation number 202100-5448.

use chrono::{Datelike, NaiveDate};

use super::{
    C, Flag, Invalid, Kind, Reason, Valid, date, digit_char, digit_values, luhn, not_future, shape,
};

const PERSON: &str = "personal identity number";
const ORG: &str = "organisation number";
const D: C = C::D;

/// The century of a 10-digit number: the person is under 100 with `-`
/// (counted in calendar years), 100 or older with `+`.
pub(crate) fn short_year(yy: u32, plus: bool, today: NaiveDate) -> i32 {
    let now = today.year();
    let mut year = now - (now - yy as i32).rem_euclid(100);
    if plus {
        year -= 100;
    }
    year
}

pub(super) fn person(cc: &'static str, value: &str, today: NaiveDate) -> Result<Valid, Invalid> {
    let fail = |reason| Invalid::new(cc, PERSON, value, reason);
    const LENGTHS: &str =
        "10 or 12 digits, with an optional `-` (or `+`, 10-digit form only) before the last four";
    let n = value.chars().count();
    if matches!(n, 10 | 12) && value.contains(['-', '+']) {
        // A separator, but digits missing or extra.
        return Err(fail(Reason::Length {
            expected: LENGTHS,
            found: n,
        }));
    }
    let (ch, long, plus) = match n {
        13 => {
            let spec = [
                D,
                D,
                D,
                D,
                D,
                D,
                D,
                D,
                C::Any("-", "`-` (the `+` separator belongs to the 10-digit form)"),
                D,
                D,
                D,
                D,
            ];
            (shape(value, &spec, LENGTHS), true, false)
        }
        12 => (shape(value, &[D; 12], LENGTHS), true, false),
        11 => {
            let spec = [D, D, D, D, D, D, C::Any("-+", "`-` or `+`"), D, D, D, D];
            let ch = shape(value, &spec, LENGTHS);
            let plus = value.chars().nth(6) == Some('+');
            (ch, false, plus)
        }
        10 => (shape(value, &[D; 10], LENGTHS), false, false),
        found => {
            return Err(fail(Reason::Length {
                expected: LENGTHS,
                found,
            }));
        }
    };
    let d = digit_values(&ch.map_err(fail)?);
    let (year, ten) = if long {
        (
            (d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3]) as i32,
            &d[2..],
        )
    } else {
        (short_year(d[0] * 10 + d[1], plus, today), &d[..])
    };
    let raw_day = ten[4] * 10 + ten[5];
    let coordination = raw_day > 60;
    let (day, how) = if coordination {
        (raw_day - 60, "coordination number: day − 60")
    } else {
        (raw_day, "")
    };
    let born = date(year, ten[2] * 10 + ten[3], day, how).map_err(fail)?;
    not_future(born, today).map_err(fail)?;
    let expected = luhn(&ten[..9]);
    if ten[9] != expected {
        return Err(fail(Reason::CheckDigit {
            what: "check digit",
            found: digit_char(ten[9]),
            expected: digit_char(expected),
        }));
    }
    let mut flags = Vec::new();
    if coordination {
        flags.push(Flag::Coordination);
    }
    if plus {
        flags.push(Flag::Centenarian);
    }
    let text: String = ten.iter().map(|x| digit_char(*x)).collect();
    Ok(Valid {
        country: cc,
        kind: Kind::Person,
        scheme: if coordination {
            "coordination number (samordningsnummer)"
        } else {
            "personal identity number (personnummer)"
        },
        normalised: format!("{year:04}{}-{}", &text[2..6], &text[6..]),
        birth_date: Some(born),
        flags,
        notes: Vec::new(),
        mask_keep: 9,
    })
}

pub(super) fn organisation(cc: &'static str, value: &str) -> Result<Valid, Invalid> {
    let fail = |reason| Invalid::new(cc, ORG, value, reason);
    const LENGTHS: &str =
        "10 digits NNNNNN-NNNN (the `-` is optional; 12 digits with the prefix 16)";
    let hyphen = [D, D, D, D, D, D, C::Lit('-'), D, D, D, D];
    let n = value.chars().count();
    if matches!(n, 10 | 12) && value.contains('-') {
        return Err(fail(Reason::Length {
            expected: LENGTHS,
            found: n,
        }));
    }
    let ch = match n {
        10 => shape(value, &[D; 10], LENGTHS),
        11 => shape(value, &hyphen, LENGTHS),
        12 => shape(value, &[D; 12], LENGTHS),
        13 => shape(
            value,
            &[D, D, D, D, D, D, D, D, C::Lit('-'), D, D, D, D],
            LENGTHS,
        ),
        found => Err(Reason::Length {
            expected: LENGTHS,
            found,
        }),
    }
    .map_err(fail)?;
    let mut d = digit_values(&ch);
    if d.len() == 12 {
        if d[..2] != [1, 6] {
            return Err(fail(Reason::Component(format!(
                "a 12-digit organisation number starts with 16, this one with {}{}",
                d[0], d[1]
            ))));
        }
        d.drain(..2);
    }
    if d[2] < 2 {
        return Err(fail(Reason::Component(format!(
            "the third digit is {}, but organisation numbers have 2 or more there (with 0 or 1 it reads as a month: a personal identity number)",
            d[2]
        ))));
    }
    let expected = luhn(&d[..9]);
    if d[9] != expected {
        return Err(fail(Reason::CheckDigit {
            what: "check digit",
            found: digit_char(d[9]),
            expected: digit_char(expected),
        }));
    }
    let text: String = d.iter().map(|x| digit_char(*x)).collect();
    Ok(Valid {
        country: cc,
        kind: Kind::Organisation,
        scheme: "organisation number (organisationsnummer)",
        normalised: format!("{}-{}", &text[..6], &text[6..]),
        birth_date: None,
        flags: Vec::new(),
        notes: Vec::new(),
        mask_keep: 11,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::{Kind, Reason, validate_at};
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
    }
    fn se(v: &str) -> Result<Valid, Invalid> {
        validate_at("SE", Kind::Person, v, today())
    }
    fn org(v: &str) -> Result<Valid, Invalid> {
        validate_at("SE", Kind::Organisation, v, today())
    }

    #[test]
    fn published_numbers() {
        // Skatteverket's test number, in every written form.
        for form in ["19121212-1212", "191212121212", "121212+1212"] {
            let v = se(form).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(v.normalised, "19121212-1212", "{form}");
            assert_eq!(v.birth_date, NaiveDate::from_ymd_opt(1912, 12, 12));
        }
        // Without `+`, a 10-digit 121212 is read as 2012.
        assert_eq!(se("121212-1212").unwrap().normalised, "20121212-1212");
        assert_eq!(se("1212121212").unwrap().normalised, "20121212-1212");
        assert_eq!(se("121212+1212").unwrap().flags, vec![Flag::Centenarian]);
        // A coordination number: born 3 October 1970 (day 63).
        let v = se("701063-2391").unwrap();
        assert_eq!(v.flags, vec![Flag::Coordination]);
        assert_eq!(v.birth_date, NaiveDate::from_ymd_opt(1970, 10, 3));
        assert_eq!(v.scheme, "coordination number (samordningsnummer)");
    }

    #[test]
    fn reasons() {
        let r = |v: &str| se(v).unwrap_err().reason;
        assert_eq!(
            r("19121212-1213"),
            Reason::CheckDigit {
                what: "check digit",
                found: '3',
                expected: '2'
            }
        );
        assert!(matches!(
            r("19121212+1212"),
            Reason::Character { position: 9, .. }
        ));
        assert!(matches!(
            r("121212*1212"),
            Reason::Character { position: 7, .. }
        ));
        assert!(matches!(
            r("1212121212123"),
            Reason::Character { position: 9, .. }
        ));
        assert!(matches!(r("12121"), Reason::Length { found: 5, .. }));
        assert!(matches!(r("19900230-1234"), Reason::Date(_)));
        let e = r("19900292-1234").to_string();
        assert!(e.contains("coordination"), "{e}");
        assert!(matches!(r("20991212-1212"), Reason::Date(_)), "future");
    }

    #[test]
    fn organisation_numbers() {
        assert_eq!(org("202100-5448").unwrap().normalised, "202100-5448");
        assert_eq!(org("2021005448").unwrap().normalised, "202100-5448");
        assert_eq!(org("162021005448").unwrap().normalised, "202100-5448");
        assert_eq!(org("16202100-5448").unwrap().normalised, "202100-5448");
        assert!(org("202100-5489").is_ok());
        assert!(matches!(
            org("202100-5449").unwrap_err().reason,
            Reason::CheckDigit { .. }
        ));
        // A personnummer is no organisation number.
        let e = org("121212-1212").unwrap_err();
        assert!(matches!(e.reason, Reason::Component(_)), "{e}");
        assert!(matches!(
            org("172021005448").unwrap_err().reason,
            Reason::Component(_)
        ));
    }

    pub(crate) fn personnummer() -> impl Strategy<Value = (String, String)> {
        (
            1927i32..2025,
            1u32..=12,
            1u32..=31,
            0u32..1000,
            any::<bool>(),
        )
            .prop_filter_map("a real date", |(y, m, d, serial, coord)| {
                NaiveDate::from_ymd_opt(y, m, d)?;
                let day = if coord { d + 60 } else { d };
                let nine = format!("{:02}{m:02}{day:02}{serial:03}", y % 100);
                let payload: Vec<u32> = nine.chars().filter_map(|c| c.to_digit(10)).collect();
                let ten = format!("{nine}{}", luhn(&payload));
                Some((format!("{:02}{}-{}", y / 100, &ten[..6], &ten[6..]), ten))
            })
    }

    proptest! {
        #[test]
        fn generated_numbers_pass((long, ten) in personnummer()) {
            prop_assert!(se(&long).is_ok(), "{long}: {:?}", se(&long));
            let short = format!("{}-{}", &ten[..6], &ten[6..]);
            prop_assert!(se(&short).is_ok(), "{short}");
            prop_assert_eq!(se(&short).unwrap().normalised, long);
        }

        /// Luhn catches every change of one of the ten digits. The century
        /// digits of the 12-digit form are outside the check digit.
        #[test]
        fn single_changes_are_caught((long, _ten) in personnummer(), pos in 2usize..12, to in 0u32..10) {
            let pos = if pos >= 8 { pos + 1 } else { pos };
            let changed = crate::ident::tests::change_digit(&long, pos, to);
            prop_assert!(se(&changed).is_err(), "{long} → {changed} passes");
        }

        #[test]
        fn organisation_changes_are_caught(
            d in proptest::collection::vec(0u32..10, 9), third in 2u32..10, pos in 0usize..10, to in 0u32..10
        ) {
            let mut d = d;
            d[2] = third;
            let c = luhn(&d);
            let id = format!("{}-{}{c}", d[..6].iter().map(|x| digit_char(*x)).collect::<String>(),
                d[6..].iter().map(|x| digit_char(*x)).collect::<String>());
            prop_assert!(org(&id).is_ok(), "{id}");
            let at = if pos >= 6 { pos + 1 } else { pos };
            let changed = crate::ident::tests::change_digit(&id, at, to);
            prop_assert!(org(&changed).is_err(), "{id} → {changed} passes");
        }
    }
}
