//! `json: { path, <operators>… }`: assertions on values selected by a JSON
//! Pointer or a JSONPath. Every operator must hold; with several selected
//! values, each must hold unless the check says `any: true`.

use serde_json::{Value, json};

use super::select::Selector;
use super::{CheckKind, DecodeContext, EvalContext, Outcome};
use crate::diag::{Diagnostic, Diagnostics};
use crate::exchange::Response;
use crate::template::Template;
use crate::yaml::Node;

/// A test on one selected value.
type ValueTest = Box<dyn Fn(&Value) -> bool>;

#[derive(Debug)]
enum Op {
    Exists,
    Absent,
    Equals(Template),
    OneOf(Template),
    NoneOf(Template),
    Contains(Template),
    Matches(regex::Regex),
    Type(Vec<String>),
    Length { min: Option<u64>, max: Option<u64> },
    Min(f64),
    Max(f64),
    Every(Box<JsonCheck>),
    SubsetOf(Template),
}

#[derive(Debug)]
pub struct JsonCheck {
    selector: Selector,
    ops: Vec<Op>,
    any: bool,
    /// For optional members: selecting nothing passes ("absent, nothing to check").
    if_present: bool,
}

const TYPES: [&str; 7] = [
    "null", "boolean", "integer", "number", "string", "array", "object",
];

pub fn decode(
    node: &Node,
    _: &DecodeContext<'_>,
    diags: &mut Diagnostics,
) -> Option<Box<dyn CheckKind>> {
    decode_check(node, true, diags).map(|c| Box::new(c) as Box<dyn CheckKind>)
}

fn decode_check(node: &Node, path_required: bool, diags: &mut Diagnostics) -> Option<JsonCheck> {
    let mut f = super::fields(node, "a json check", diags)?;
    let path_node = if path_required {
        f.required("path", node, diags)
    } else {
        f.get("path")
    };
    let selector = match path_node {
        Some(n) => crate::decode::string(n, "a JSON Pointer or JSONPath", diags)
            .and_then(|t| Selector::parse(&t, &n.loc, diags)),
        None if !path_required => Selector::parse("$", &node.loc, diags),
        None => None,
    };
    let mut ops = Vec::new();
    let flag = |f: &mut crate::decode::Fields<'_>, key: &'static str, diags: &mut Diagnostics| {
        f.get(key)
            .and_then(|n| crate::decode::boolean(n, key, diags))
            .unwrap_or(false)
    };
    if flag(&mut f, "exists", diags) {
        ops.push(Op::Exists);
    }
    if flag(&mut f, "absent", diags) {
        ops.push(Op::Absent);
    }
    if let Some(n) = f.get("equals") {
        ops.push(Op::Equals(Template::from_node(n, diags)));
    }
    if let Some(n) = f.get("one_of") {
        ops.push(Op::OneOf(Template::from_node(n, diags)));
    }
    if let Some(n) = f.get("none_of") {
        ops.push(Op::NoneOf(Template::from_node(n, diags)));
    }
    if let Some(n) = f.get("contains") {
        ops.push(Op::Contains(Template::from_node(n, diags)));
    }
    // An operator written but refused (an invalid regex) has its own diagnostic.
    let mut refused = false;
    if let Some(re) = super::regex_operator(f.get("matches"), &mut refused, diags) {
        ops.push(Op::Matches(re));
    }
    if let Some(n) = f.get("type") {
        let types: Vec<String> = crate::decode::strings(n, "JSON types", diags);
        for t in &types {
            if !TYPES.contains(&t.as_str()) {
                let mut d = Diagnostic::new(format!("unknown JSON type `{t}`")).at(&n.loc);
                if let Some(s) = crate::diag::did_you_mean(t, TYPES) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                diags.push(d);
            }
        }
        ops.push(Op::Type(types));
    }
    if let Some(n) = f.get("length") {
        match crate::decode::bounds(n, "a length", diags) {
            Some((min, max)) => ops.push(Op::Length { min, max }),
            None => refused = true,
        }
    }
    if let Some(n) = f.get("min")
        && let Some(v) = crate::decode::number(n, "`min`", diags)
    {
        ops.push(Op::Min(v));
    }
    if let Some(n) = f.get("max")
        && let Some(v) = crate::decode::number(n, "`max`", diags)
    {
        ops.push(Op::Max(v));
    }
    if let Some(n) = f.get("every")
        && let Some(inner) = decode_check(n, false, diags)
    {
        ops.push(Op::Every(Box::new(inner)));
    }
    if let Some(n) = f.get("subset_of") {
        ops.push(Op::SubsetOf(Template::from_node(n, diags)));
    }
    let any = flag(&mut f, "any", diags);
    let if_present = flag(&mut f, "if_present", diags);
    f.finish(diags);
    let ops = super::require_operators(
        ops,
        refused,
        "a json check",
        "exists, absent, equals, one_of, none_of, contains, matches, type, length, min, max, every, subset_of",
        node,
        diags,
    )?;
    Some(JsonCheck {
        selector: selector?,
        ops,
        any,
        if_present,
    })
}

impl CheckKind for JsonCheck {
    fn name(&self) -> &'static str {
        "json"
    }

    fn templates(&self) -> Vec<&Template> {
        let mut out = Vec::new();
        for op in &self.ops {
            match op {
                Op::Equals(t)
                | Op::OneOf(t)
                | Op::NoneOf(t)
                | Op::Contains(t)
                | Op::SubsetOf(t) => out.push(t),
                Op::Every(inner) => out.extend(inner.templates()),
                _ => {}
            }
        }
        out
    }

    fn evaluate(&self, response: &Response, cx: &EvalContext<'_>) -> Outcome {
        match response.json() {
            Ok(doc) => self.evaluate_on(doc, "", cx),
            Err(e) => Outcome::error(format!("cannot check `{}`: {e}", self.selector.text())),
        }
    }
}

/// Numbers compare by value (1 equals 1.0); everything else structurally.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

impl JsonCheck {
    /// Evaluate on `doc`, whose own location is `base` (for `every`).
    fn evaluate_on(&self, doc: &Value, base: &str, cx: &EvalContext<'_>) -> Outcome {
        let selected = self.selector.select(doc);
        let path = self.selector.text();
        let at = |p: &str| format!("{base}{p}");
        let actual: Value = match selected.as_slice() {
            [(_, v)] if !self.selector.is_multi() => (*v).clone(),
            many => Value::Array(many.iter().map(|(_, v)| (*v).clone()).collect()),
        };
        if selected.is_empty() && self.if_present {
            return Outcome::pass(format!("`{path}` is absent, nothing to check"))
                .at(base.to_string());
        }
        let mut passed = Vec::new();
        for op in &self.ops {
            let outcome = match op {
                Op::Exists => {
                    if selected.is_empty() {
                        Outcome::fail(format!("`{path}` selected nothing")).expected("present")
                    } else {
                        Outcome::pass(format!("`{path}` is present"))
                    }
                }
                Op::Absent => {
                    if selected.is_empty() {
                        Outcome::pass(format!("`{path}` is absent"))
                    } else {
                        Outcome::fail(format!("`{path}` is present, expected absent"))
                            .expected("absent")
                            .at(at(&selected[0].0))
                    }
                }
                _ if selected.is_empty() => {
                    return Outcome::fail(format!("`{path}` selected nothing"))
                        .expected("present")
                        .at(base.to_string());
                }
                Op::Every(inner) => {
                    let mut failures = Vec::new();
                    let mut count = 0;
                    for (p, v) in &selected {
                        let items: Vec<(String, &Value)> = match v {
                            Value::Array(items) => items
                                .iter()
                                .enumerate()
                                .map(|(i, x)| (format!("{p}/{i}"), x))
                                .collect(),
                            other => vec![(p.clone(), *other)],
                        };
                        for (ip, item) in items {
                            count += 1;
                            let o = inner.evaluate_on(item, &at(&ip), cx);
                            if o.status != super::Status::Pass {
                                failures.push(o);
                            }
                        }
                    }
                    match failures.into_iter().next() {
                        None => Outcome::pass(format!("all {count} items of `{path}` hold")),
                        Some(first) => {
                            let message = format!("an item of `{path}` fails: {}", first.message);
                            Outcome { message, ..first }
                        }
                    }
                }
                Op::SubsetOf(t) => match super::expected(t, cx) {
                    Err(o) => return o,
                    Ok(set) => {
                        let set = as_list(&set);
                        let values: Vec<Value> =
                            selected.iter().flat_map(|(_, v)| as_list(v)).collect();
                        let extra: Vec<Value> = values
                            .iter()
                            .filter(|v| !set.iter().any(|s| json_eq(s, v)))
                            .cloned()
                            .collect();
                        if extra.is_empty() {
                            Outcome::pass(format!(
                                "`{path}` is a subset of {}",
                                super::show(&Value::Array(set.clone()))
                            ))
                        } else {
                            Outcome::fail(format!(
                                "`{path}` has {} not in the expected set",
                                super::show(&Value::Array(extra.clone()))
                            ))
                            .expected(json!({ "subset_of": set }))
                            .actual(Value::Array(values))
                        }
                    }
                },
                op => {
                    let (test, expected, verb) = match self.value_test(op, cx) {
                        Ok(t) => t,
                        Err(o) => return o,
                    };
                    let results: Vec<(&String, &Value, bool)> =
                        selected.iter().map(|(p, v)| (p, *v, test(v))).collect();
                    let ok = if self.any {
                        results.iter().any(|r| r.2)
                    } else {
                        results.iter().all(|r| r.2)
                    };
                    // A pattern reads as /re/, not as a quoted string.
                    let shown = match (verb, &expected) {
                        ("matches", Value::String(re)) => re.clone(),
                        _ => super::show(&expected),
                    };
                    if ok {
                        Outcome::pass(format!("`{path}` {verb} {shown}")).expected(expected)
                    } else {
                        let (p, v, _) =
                            results.iter().find(|r| !r.2).copied().unwrap_or(results[0]);
                        let which = if selected.len() > 1 {
                            format!("{} (at {})", super::show(v), at(p))
                        } else {
                            super::show(v)
                        };
                        Outcome::fail(format!("`{path}` is {which}, expected it {verb} {shown}"))
                            .expected(expected)
                            .at(at(p))
                    }
                }
            };
            if outcome.status != super::Status::Pass {
                let outcome = if outcome.actual.is_none() {
                    outcome.actual(actual)
                } else {
                    outcome
                };
                let outcome = if outcome.at.is_none() {
                    outcome.at(at(selected.first().map(|s| s.0.as_str()).unwrap_or("")))
                } else {
                    outcome
                };
                return outcome;
            }
            passed.push(outcome.message);
        }
        Outcome::pass(passed.join("; "))
            .actual(actual)
            .at(at(selected.first().map(|s| s.0.as_str()).unwrap_or("")))
    }

    /// A test applied to each selected value, its expected value for reports, and a verb.
    fn value_test(
        &self,
        op: &Op,
        cx: &EvalContext<'_>,
    ) -> Result<(ValueTest, Value, &'static str), Outcome> {
        Ok(match op {
            Op::Equals(t) => {
                let e = super::expected(t, cx)?;
                let e2 = e.clone();
                (Box::new(move |v| json_eq(v, &e2)), e, "equals")
            }
            Op::OneOf(t) => {
                let e = super::expected(t, cx)?;
                let list = as_list(&e);
                (
                    Box::new(move |v| list.iter().any(|x| json_eq(x, v))),
                    e,
                    "is one of",
                )
            }
            Op::NoneOf(t) => {
                let e = super::expected(t, cx)?;
                let list = as_list(&e);
                // An array value must not contain any of them either.
                (
                    Box::new(move |v| {
                        as_list(v)
                            .iter()
                            .all(|item| !list.iter().any(|x| json_eq(x, item)))
                    }),
                    e,
                    "is none of",
                )
            }
            Op::Contains(t) => {
                let e = super::expected(t, cx)?;
                let e2 = e.clone();
                let test = move |v: &Value| match (v, &e2) {
                    (Value::Array(items), x) => items.iter().any(|i| json_eq(i, x)),
                    (Value::String(s), Value::String(x)) => s.contains(x.as_str()),
                    _ => false,
                };
                (Box::new(test), e, "contains")
            }
            Op::Matches(re) => {
                let re = re.clone();
                let shown = Value::from(format!("/{}/", re.as_str()));
                (
                    Box::new(move |v| v.as_str().is_some_and(|s| re.is_match(s))),
                    shown,
                    "matches",
                )
            }
            Op::Type(types) => {
                let types = types.clone();
                let shown = if types.len() == 1 {
                    Value::from(types[0].clone())
                } else {
                    json!(types)
                };
                let test = move |v: &Value| {
                    let t = type_of(v);
                    types
                        .iter()
                        .any(|x| x == t || (x == "number" && t == "integer"))
                };
                (Box::new(test), shown, "has type")
            }
            Op::Length { min, max } => {
                let (min, max) = (*min, *max);
                let shown = match (min, max) {
                    (Some(a), Some(b)) if a == b => json!(a),
                    _ => json!({ "min": min, "max": max }),
                };
                let test = move |v: &Value| {
                    let len = match v {
                        Value::String(s) => s.chars().count() as u64,
                        Value::Array(a) => a.len() as u64,
                        Value::Object(o) => o.len() as u64,
                        _ => return false,
                    };
                    min.is_none_or(|m| len >= m) && max.is_none_or(|m| len <= m)
                };
                (Box::new(test), shown, "has length")
            }
            Op::Min(m) => {
                let m = *m;
                (
                    Box::new(move |v| v.as_f64().is_some_and(|x| x >= m)),
                    json!({ "min": m }),
                    "is at least",
                )
            }
            Op::Max(m) => {
                let m = *m;
                (
                    Box::new(move |v| v.as_f64().is_some_and(|x| x <= m)),
                    json!({ "max": m }),
                    "is at most",
                )
            }
            Op::Exists | Op::Absent | Op::Every(_) | Op::SubsetOf(_) => {
                unreachable!("handled by the caller")
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schemas::SchemaRegistry;
    use crate::template::NoVars;
    use std::time::Duration;

    fn run(check_yaml: &str, body: Value) -> Outcome {
        let src = crate::diag::SourceFile::new("t.yaml", check_yaml);
        let node = crate::yaml::parse(&src).unwrap();
        let mut d = Diagnostics::default();
        let check = decode_check(&node, true, &mut d).expect("decodes");
        assert!(d.is_empty(), "{d:?}");
        let registry = SchemaRegistry::new(&[], &mut d);
        let response = Response::new(
            200,
            vec![],
            serde_json::to_vec(&body).unwrap(),
            Duration::ZERO,
        );
        check.evaluate(
            &response,
            &EvalContext {
                vars: &NoVars,
                schemas: &registry,
                request: None,
            },
        )
    }

    #[test]
    fn operators() {
        let doc = json!({"issuer": "https://a", "algs": ["RS256", "ES256"], "n": 5, "keys": [{"kty": "RSA"}, {"kty": "EC"}]});
        let pass = |y: &str| {
            assert_eq!(
                run(y, doc.clone()).status,
                crate::check::Status::Pass,
                "{y}"
            )
        };
        let fail = |y: &str| {
            assert_eq!(
                run(y, doc.clone()).status,
                crate::check::Status::Fail,
                "{y}"
            )
        };
        pass("{path: $.issuer, equals: 'https://a'}");
        fail("{path: /issuer, equals: 'https://b'}");
        pass("{path: $.algs, contains: RS256}");
        fail("{path: '$.algs[*]', equals: RS256}");
        pass("{path: '$.algs[*]', equals: RS256, any: true}");
        pass("{path: '$.algs[*]', one_of: [RS256, ES256, PS256]}");
        fail("{path: $.algs, none_of: [none, ES256]}");
        pass("{path: $.n, type: integer, min: 1, max: 5}");
        fail("{path: $.n, max: 4}");
        pass("{path: $.algs, length: {min: 1}}");
        pass("{path: $.missing, absent: true}");
        fail("{path: $.missing, exists: true}");
        fail("{path: $.missing, equals: 1}");
        pass("{path: $.keys, every: {path: $.kty, one_of: [RSA, EC]}}");
        fail("{path: $.keys, every: {path: $.kty, equals: RSA}}");
        pass("{path: '$.algs[*]', subset_of: [RS256, ES256, PS256]}");
        fail("{path: '$.algs', subset_of: [RS256]}");
        pass("{path: $.issuer, matches: '^https://'}");
        pass("{path: $.optional, none_of: [none], if_present: true}");
        fail("{path: $.algs, none_of: [ES256], if_present: true}");
    }

    #[test]
    fn failure_says_where() {
        let out = run(
            "{path: $.keys, every: {path: $.kty, equals: RSA}}",
            json!({"keys": [{"kty": "RSA"}, {"kty": "EC"}]}),
        );
        assert_eq!(out.at.as_deref(), Some("/keys/1/kty"), "{out:?}");
        assert!(out.message.contains("\"EC\""), "{}", out.message);
    }

    #[test]
    fn a_body_that_is_not_json_is_an_error_of_the_check() {
        let src = crate::diag::SourceFile::new("t.yaml", "{path: $.a, exists: true}");
        let node = crate::yaml::parse(&src).unwrap();
        let mut d = Diagnostics::default();
        let check = decode_check(&node, true, &mut d).unwrap();
        let registry = SchemaRegistry::new(&[], &mut d);
        let response = Response::new(200, vec![], b"<html>".to_vec(), Duration::ZERO);
        let out = check.evaluate(
            &response,
            &EvalContext {
                vars: &NoVars,
                schemas: &registry,
                request: None,
            },
        );
        assert_eq!(out.status, crate::check::Status::Error);
        assert!(out.message.contains("not valid JSON"));
    }
}
