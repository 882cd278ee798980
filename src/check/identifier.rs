//! `identifier: { country, kind, json | header, prefixed, every }`: values
//! selected from the response are national identifiers of a country (see
//! [`crate::ident`]). A failure says exactly why a value is invalid; personal
//! identity numbers never appear unmasked in messages or in `actual`.
//!
//! `xpath` is reserved for XML responses and waits for the XML check kind.

use serde_json::Value;

use super::select::Selector;
use super::{CheckKind, DecodeContext, EvalContext, Outcome};
use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::exchange::Response;
use crate::ident::{self, COUNTRIES, Invalid, Kind, Valid};
use crate::template::Template;
use crate::yaml::Node;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wanted {
    Person,
    Organisation,
    Any,
}

impl Wanted {
    fn kinds(self) -> &'static [Kind] {
        match self {
            Wanted::Person => &[Kind::Person],
            Wanted::Organisation => &[Kind::Organisation],
            Wanted::Any => &[Kind::Person, Kind::Organisation],
        }
    }
    fn describe(self) -> &'static str {
        match self {
            Wanted::Person => "personal identifier",
            Wanted::Organisation => "organisation identifier",
            Wanted::Any => "personal or organisation identifier",
        }
    }
}

#[derive(Debug)]
enum Source {
    Json(Selector),
    Header(String),
}

#[derive(Debug)]
struct IdentifierCheck {
    /// The issuing country; optional only for prefixed values.
    country: Option<Template>,
    wanted: Wanted,
    source: Source,
    /// Values carry their country: `EE38001085718`, `NO/SE/…`, `PNOEE-…`.
    prefixed: bool,
    /// Every selected value must be valid (default), or one is enough.
    every: bool,
    /// Nothing selected (or the header missing) passes: "absent, nothing to check".
    if_present: bool,
}

const KINDS_TEXT: [&str; 3] = ["person", "organisation", "any"];

pub fn decode(
    node: &Node,
    _: &DecodeContext<'_>,
    diags: &mut Diagnostics,
) -> Option<Box<dyn CheckKind>> {
    let mut f = super::fields(node, "an identifier check", diags)?;
    let country = f.get("country").map(|n| (Template::from_node(n, diags), n));
    let wanted =
        match f.get("kind") {
            None => Some(Wanted::Any),
            Some(n) => crate::decode::string(n, "`person`, `organisation` or `any`", diags)
                .and_then(|s| match s.as_str() {
                    "person" => Some(Wanted::Person),
                    "organisation" => Some(Wanted::Organisation),
                    "any" => Some(Wanted::Any),
                    other => {
                        let mut d = Diagnostic::new(format!("unknown identifier kind `{other}`"))
                            .at(&n.loc);
                        d = match did_you_mean(other, KINDS_TEXT) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => d.with_help("the kinds are: person, organisation, any"),
                        };
                        diags.push(d);
                        None
                    }
                }),
        };
    let mut sources = Vec::new();
    if let Some(n) = f.get("json") {
        sources.push(
            crate::decode::string(n, "a JSON Pointer or JSONPath", diags)
                .and_then(|t| Selector::parse(&t, &n.loc, diags))
                .map(Source::Json),
        );
    }
    if let Some(n) = f.get("header") {
        sources.push(crate::decode::string(n, "a header name", diags).map(Source::Header));
    }
    if let Some(n) = f.get("xpath") {
        diags.push(
            Diagnostic::new("`xpath` in an identifier check is not available yet")
                .at(&n.loc)
                .with_help(
                    "it waits for the XML check kind; select the value with `json` or `header`",
                ),
        );
        sources.push(None);
    }
    let prefixed = f
        .get("prefixed")
        .and_then(|n| crate::decode::boolean(n, "`prefixed`", diags))
        .unwrap_or(false);
    let every = f
        .get("every")
        .and_then(|n| crate::decode::boolean(n, "`every`", diags))
        .unwrap_or(true);
    let if_present = f
        .get("if_present")
        .and_then(|n| crate::decode::boolean(n, "`if_present`", diags))
        .unwrap_or(false);
    f.finish(diags);
    if sources.len() != 1 {
        diags.push(
            Diagnostic::new(format!(
                "an identifier check takes exactly one of `json`, `header`; found {}",
                sources.len()
            ))
            .at(&node.loc)
            .with_help("`json: \"$.members[*].member_code\"` or `header: X-Road-UserId`"),
        );
        return None;
    }
    if country.is_none() && !prefixed {
        diags.push(
            Diagnostic::new("an identifier check needs `country`")
                .at(&node.loc)
                .with_help("or `prefixed: true`, when each value names its issuing country"),
        );
    }
    let wanted = wanted?;
    if let Some((t, n)) = &country
        && let Some(literal) = t.as_literal()
    {
        match literal.as_str().map(|s| s.trim().to_ascii_uppercase()) {
            Some(cc) if COUNTRIES.contains(&cc.as_str()) => {
                let why = ident::unsupported_organisation(&cc);
                if wanted == Wanted::Organisation && !why.is_empty() {
                    diags.push(Diagnostic::new(why).at(&n.loc));
                }
            }
            _ => {
                let text = super::show(&literal);
                let mut d = Diagnostic::new(format!(
                    "`country` {text} is not one of the eleven countries"
                ))
                .at(&n.loc);
                let upper = literal.as_str().unwrap_or("").to_ascii_uppercase();
                d = match did_you_mean(&upper, COUNTRIES) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!("the countries are: {}", COUNTRIES.join(", "))),
                };
                diags.push(d);
            }
        }
    }
    if country.is_none() && !prefixed {
        return None;
    }
    Some(Box::new(IdentifierCheck {
        country: country.map(|(t, _)| t),
        wanted,
        source: sources.pop()??,
        prefixed,
        every,
        if_present,
    }))
}

/// One selected value: where it is and its text (or what it is instead).
struct Item {
    at: String,
    text: Result<String, &'static str>,
}

impl CheckKind for IdentifierCheck {
    fn name(&self) -> &'static str {
        "identifier"
    }

    fn templates(&self) -> Vec<&Template> {
        self.country.iter().collect()
    }

    fn evaluate(&self, response: &Response, cx: &EvalContext<'_>) -> Outcome {
        let (items, place) = match &self.source {
            Source::Json(selector) => {
                let doc = match response.json() {
                    Ok(doc) => doc,
                    Err(e) => {
                        return Outcome::error(format!("cannot check `{}`: {e}", selector.text()));
                    }
                };
                (json_items(selector, doc), format!("`{}`", selector.text()))
            }
            Source::Header(name) => (
                response
                    .header_values(name)
                    .map(|v| Item {
                        at: name.clone(),
                        text: Ok(v.to_string()),
                    })
                    .collect(),
                format!("header `{name}`"),
            ),
        };
        let first_at = |items: &[Item]| match &self.source {
            Source::Header(name) => name.clone(),
            Source::Json(s) => items
                .first()
                .map_or_else(|| s.text().to_string(), |i| i.at.clone()),
        };
        if items.is_empty() && self.if_present {
            let what_absent = match &self.source {
                Source::Json(_) => format!("{place} selected nothing"),
                Source::Header(_) => format!("{place} is absent"),
            };
            return Outcome::pass(format!("{what_absent}, nothing to check")).at(first_at(&items));
        }
        let country = match &self.country {
            None => None,
            Some(t) => match super::expected(t, cx) {
                Err(o) => return o,
                Ok(Value::String(s))
                    if COUNTRIES.contains(&s.trim().to_ascii_uppercase().as_str()) =>
                {
                    Some(s.trim().to_ascii_uppercase())
                }
                Ok(other) => {
                    return Outcome::error(format!(
                        "no identifier rules for country {}: the countries are {}",
                        super::show(&other),
                        COUNTRIES.join(", ")
                    ));
                }
            },
        };
        let what = match &country {
            Some(cc) => format!("a valid {cc} {}", self.wanted.describe()),
            None => format!("a valid country-prefixed {}", self.wanted.describe()),
        };
        if items.is_empty() {
            let message = match &self.source {
                Source::Json(_) => format!("{place} selected nothing"),
                Source::Header(_) => format!("{place} is missing"),
            };
            return Outcome::fail(message).expected(what).at(first_at(&items));
        }
        let today = ident::today();
        let n = items.len();
        let mut valid: Vec<(usize, Valid)> = Vec::new();
        // Each invalid value: its index, where it is, why, and what it is (masked).
        let mut invalid: Vec<(usize, String, String, Option<String>)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match &item.text {
                Err(kind) => invalid.push((
                    i,
                    item.at.clone(),
                    format!("{place} selected {kind}, not an identifier"),
                    None,
                )),
                Ok(text) => match self.judge(country.as_deref(), text, today) {
                    Ok(v) => valid.push((i, v)),
                    // No rules to judge by: the harness cannot tell, the country is not to blame.
                    Err(e) if matches!(e.reason, ident::Reason::Unsupported(_)) => {
                        return Outcome::error(format!("cannot check {place}: {e}"))
                            .expected(what)
                            .at(item.at.clone());
                    }
                    Err(e) => {
                        invalid.push((i, item.at.clone(), e.to_string(), Some(ident::redact(text))))
                    }
                },
            }
        }
        let failed = if self.every {
            !invalid.is_empty()
        } else {
            valid.is_empty()
        };
        if failed {
            return invalid_outcome(&invalid, n, &place).expected(what);
        }
        let shown: Vec<String> = valid.iter().map(|(_, v)| v.shown()).collect();
        let mut schemes: Vec<String> = Vec::new();
        let mut remarks: Vec<String> = Vec::new();
        for (_, v) in &valid {
            let s = format!("{} {}", v.country, v.scheme);
            if !schemes.contains(&s) {
                schemes.push(s);
            }
            for r in v.remarks() {
                if !remarks.contains(&r) {
                    remarks.push(r);
                }
            }
        }
        let remarks = if remarks.is_empty() {
            String::new()
        } else {
            format!(" ({})", remarks.join("; "))
        };
        let message = if n == 1 {
            format!(
                "{place} is a valid {}: {}{remarks}",
                schemes.join(" / "),
                shown[0]
            )
        } else if valid.len() == n {
            format!(
                "all {n} values of {place} are valid: {}{remarks}",
                schemes.join(" / ")
            )
        } else {
            format!(
                "{} of {n} values of {place} are valid: {}{remarks}",
                valid.len(),
                schemes.join(" / ")
            )
        };
        let actual = if n == 1 && matches!(self.source, Source::Json(Selector::Pointer(_))) {
            Value::from(shown[0].clone())
        } else {
            Value::from(shown)
        };
        Outcome::pass(message)
            .expected(what)
            .actual(actual)
            .at(items[valid[0].0].at.clone())
    }
}

/// The failure: the first invalid value with its reason, then every other
/// invalid value with where it is, so that each member is reported.
fn invalid_outcome(
    invalid: &[(usize, String, String, Option<String>)],
    n: usize,
    place: &str,
) -> Outcome {
    let (i, at, why, actual) = &invalid[0];
    let mut message = if n > 1 {
        format!("{why} (value {} of {n} of {place})", i + 1)
    } else {
        why.clone()
    };
    if invalid.len() > 1 {
        let rest: Vec<String> = invalid[1..]
            .iter()
            .map(|(_, at, why, _)| format!("{at}: {why}"))
            .collect();
        message.push_str(&format!(
            "; {} of {n} values are invalid, also {}",
            invalid.len(),
            rest.join("; ")
        ));
    }
    let outcome = Outcome::fail(message).at(at.clone());
    match (invalid.len(), actual) {
        (1, Some(a)) => outcome.actual(a.clone()),
        (1, None) => outcome,
        _ => outcome.actual(Value::from(
            invalid
                .iter()
                .map(|(_, _, _, a)| Value::from(a.clone()))
                .collect::<Vec<_>>(),
        )),
    }
}

impl IdentifierCheck {
    /// Validate one value by every kind asked for; when all fail, the reason
    /// of the scheme that got furthest.
    fn judge(
        &self,
        country: Option<&str>,
        value: &str,
        today: chrono::NaiveDate,
    ) -> Result<Valid, Invalid> {
        let mut best: Option<Invalid> = None;
        for kind in self.wanted.kinds() {
            let result = match (self.prefixed, country) {
                (true, cc) => ident::validate_prefixed_at(cc, *kind, value, today),
                (false, Some(cc)) => ident::validate_at(cc, *kind, value, today),
                (false, None) => unreachable!("decode requires `country` without `prefixed`"),
            };
            match result {
                Ok(v) => return Ok(v),
                Err(e) => {
                    if best.as_ref().is_none_or(|b| e.depth() > b.depth()) {
                        best = Some(e);
                    }
                }
            }
        }
        Err(best.expect("at least one kind"))
    }
}

/// The selected values; arrays contribute their items.
fn json_items(selector: &Selector, doc: &Value) -> Vec<Item> {
    let mut out = Vec::new();
    for (pointer, value) in selector.select(doc) {
        match value {
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    out.push(item(format!("{pointer}/{i}"), v));
                }
            }
            v => out.push(item(pointer, v)),
        }
    }
    out
}

fn item(at: String, v: &Value) -> Item {
    let text = match v {
        Value::String(s) => Ok(s.clone()),
        // A number written as a JSON integer (a CVR number, say) is its digits.
        Value::Number(n) if n.is_u64() => Ok(n.to_string()),
        Value::Number(_) => Err("a number that is not a whole number"),
        Value::Null => Err("null"),
        Value::Bool(_) => Err("a boolean"),
        Value::Array(_) => Err("an array"),
        Value::Object(_) => Err("an object"),
    };
    Item { at, text }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Status;
    use crate::schemas::SchemaRegistry;
    use crate::template::{Found, Vars};
    use serde_json::json;
    use std::time::Duration;

    struct Profile;
    impl Vars for Profile {
        fn lookup(&self, path: &[String]) -> Result<Option<Found>, String> {
            Ok(
                match path
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .as_slice()
                {
                    ["profile", "country"] => Some(Found {
                        value: json!("FI"),
                        secret: false,
                    }),
                    ["profile", "latvia"] => Some(Found {
                        value: json!("LV"),
                        secret: false,
                    }),
                    _ => None,
                },
            )
        }
    }

    fn decode_yaml(yaml: &str) -> (Option<Box<dyn CheckKind>>, Diagnostics) {
        let src = crate::diag::SourceFile::new("t.yaml", yaml);
        let node = crate::yaml::parse(&src).unwrap();
        let mut d = Diagnostics::default();
        let registry = SchemaRegistry::new(&[], &mut d);
        let check = decode(&node, &DecodeContext { schemas: &registry }, &mut d);
        (check, d)
    }

    fn run(yaml: &str, headers: Vec<(&str, &str)>, body: Value) -> Outcome {
        let (check, d) = decode_yaml(yaml);
        assert!(d.is_empty(), "{d:?}");
        let check = check.expect("decodes");
        let mut d = Diagnostics::default();
        let registry = SchemaRegistry::new(&[], &mut d);
        let response = Response::new(
            200,
            headers
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            serde_json::to_vec(&body).unwrap(),
            Duration::ZERO,
        );
        check.evaluate(
            &response,
            &EvalContext {
                vars: &Profile,
                schemas: &registry,
                request: None,
            },
        )
    }

    #[test]
    fn every_member_code_is_checked_and_the_first_bad_one_reported() {
        let doc = json!({"members": [
            {"member_code": "0245437-2"},
            {"member_code": "0245437-3"},
            {"member_code": "0245437-4"},
        ]});
        let out = run(
            "{country: FI, kind: organisation, json: '$.members[*].member_code'}",
            vec![],
            doc.clone(),
        );
        assert_eq!(out.status, Status::Fail, "{out:?}");
        assert_eq!(out.at.as_deref(), Some("/members/1/member_code"));
        assert!(
            out.message
                .starts_with("FI business ID (Y-tunnus) 0245437-3: check digit is 3, expected 2"),
            "{}",
            out.message
        );
        assert!(out.message.contains("value 2 of 3"), "{}", out.message);
        // Every invalid member is reported, each with where it is.
        assert!(
            out.message.contains(
                "2 of 3 values are invalid, also /members/2/member_code: FI business ID (Y-tunnus) 0245437-4: check digit is 4, expected 2"
            ),
            "{}",
            out.message
        );
        assert_eq!(out.actual, Some(json!(["0245437-3", "0245437-4"])));
        let one_bad =
            json!({"members": [{"member_code": "0245437-2"}, {"member_code": "0245437-3"}]});
        let out = run(
            "{country: FI, kind: organisation, json: '$.members[*].member_code'}",
            vec![],
            one_bad,
        );
        assert_eq!(out.actual, Some(json!("0245437-3")));
        assert!(!out.message.contains("also"), "{}", out.message);
        let out = run(
            "{country: FI, kind: organisation, json: '$.members[*].member_code', every: false}",
            vec![],
            doc,
        );
        assert_eq!(out.status, Status::Pass, "{out:?}");
    }

    #[test]
    fn the_message_says_why_and_personal_numbers_stay_masked() {
        let out = run(
            "{country: FI, kind: person, json: /id}",
            vec![],
            json!({"id": "131052-308U"}),
        );
        assert_eq!(out.status, Status::Fail);
        assert_eq!(
            out.message,
            "FI personal identity code 131052-308U: check character is U, expected T"
        );
        let out = run(
            "{country: FI, kind: person, json: /id}",
            vec![],
            json!({"id": "131052-308T"}),
        );
        assert_eq!(out.status, Status::Pass, "{out:?}");
        assert!(!out.message.contains("308T"), "{}", out.message);
        assert_eq!(out.actual, Some(json!("131052-****")));
        // Invalid for FI, but a valid Swedish number: masked all the same.
        let out = run(
            "{country: FI, kind: person, json: /id}",
            vec![],
            json!({"id": "19121212-1212"}),
        );
        assert_eq!(out.status, Status::Fail);
        assert!(!out.message.contains("1212-1212"), "{}", out.message);
        assert_eq!(out.actual, Some(json!("19121212-****")));
    }

    #[test]
    fn headers_prefixes_templates_and_kinds() {
        let out = run(
            "{header: X-Road-UserId, prefixed: true, kind: person}",
            vec![("x-road-userid", "EE38001085718")],
            json!({}),
        );
        assert_eq!(out.status, Status::Pass, "{out:?}");
        assert_eq!(out.actual, Some(json!(["EE3800108****"])));
        assert_eq!(out.at.as_deref(), Some("X-Road-UserId"));
        let out = run(
            "{country: EE, header: X-Road-UserId, prefixed: true}",
            vec![("X-Road-UserId", "EE38001085719")],
            json!({}),
        );
        assert_eq!(out.status, Status::Fail);
        assert!(
            out.message.contains("check digit is 9, expected 8"),
            "{}",
            out.message
        );
        let out = run("{header: X-Road-UserId, country: EE}", vec![], json!({}));
        assert_eq!(out.status, Status::Fail);
        assert!(out.message.contains("missing"), "{}", out.message);
        // Where echoed: a missing header passes, a present one is judged.
        let out = run(
            "{header: X-Road-UserId, prefixed: true, if_present: true}",
            vec![],
            json!({}),
        );
        assert_eq!(out.status, Status::Pass, "{out:?}");
        assert!(
            out.message.contains("absent, nothing to check"),
            "{}",
            out.message
        );
        let out = run(
            "{header: X-Road-UserId, prefixed: true, if_present: true}",
            vec![("X-Road-UserId", "0101302989")],
            json!({}),
        );
        assert_eq!(out.status, Status::Fail, "{out:?}");
        assert!(out.message.contains("no country prefix"), "{}", out.message);
        assert!(
            !out.message.contains("0101302989"),
            "masked: {}",
            out.message
        );
        // No rules for the country and kind: the harness cannot tell.
        let out = run(
            "{country: '{{ profile.latvia }}', kind: organisation, json: /id}",
            vec![],
            json!({"id": "40003521600"}),
        );
        assert_eq!(out.status, Status::Error, "{out:?}");
        assert!(
            out.message
                .contains("no organisation identifier rules for LV"),
            "{}",
            out.message
        );
        // A template names the country; `any` takes persons and organisations.
        let out = run(
            "{country: '{{ profile.country }}', json: '$.ids[*]'}",
            vec![],
            json!({"ids": ["0245437-2", "131052-308T"]}),
        );
        assert_eq!(out.status, Status::Pass, "{out:?}");
        assert_eq!(out.actual, Some(json!(["0245437-2", "131052-****"])));
        // `any` reports the reason of the scheme that got furthest.
        let out = run(
            "{country: FI, json: /id}",
            vec![],
            json!({"id": "0245437-3"}),
        );
        assert!(out.message.contains("business ID"), "{}", out.message);
        // Integers count as their digits; other types fail.
        let out = run(
            "{country: DK, kind: organisation, json: '$.cvr'}",
            vec![],
            json!({"cvr": 10150817}),
        );
        assert_eq!(out.status, Status::Pass, "{out:?}");
        let out = run("{country: DK, json: /x}", vec![], json!({"x": true}));
        assert_eq!(out.status, Status::Fail);
        let out = run("{country: DK, json: /missing}", vec![], json!({}));
        assert!(out.message.contains("selected nothing"), "{}", out.message);
    }

    #[test]
    fn decode_errors() {
        let bad = |yaml: &str, want: &str| {
            let (_, d) = decode_yaml(yaml);
            let text = format!("{d:?}");
            assert!(text.contains(want), "{yaml}: {text}");
        };
        bad("{country: XX, json: /a}", "not one of the eleven");
        bad(
            "{country: FI, kind: organization, json: /a}",
            "did you mean `organisation`",
        );
        bad("{country: FI, json: /a, header: b}", "exactly one");
        bad("{country: FI}", "exactly one");
        bad("{json: /a}", "needs `country`");
        bad("{country: FI, xpath: //a}", "not available yet");
        bad(
            "{country: LV, kind: organisation, json: /a}",
            "no organisation identifier rules for LV",
        );
        bad("{country: FI, json: /a, evry: false}", "unknown key");
        let (check, d) = decode_yaml("{country: '{{ profile.country }}', json: /a}");
        assert!(d.is_empty() && check.is_some(), "{d:?}");
    }
}
