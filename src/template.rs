//! `{{ … }}` templates over parsed values.
//!
//! Templates are parsed once at load time, from the JSON form of a YAML node,
//! and rendered per case against a [`Vars`] scope. A string that is exactly
//! one expression keeps the value's type; text around an expression makes a
//! string. Rendering reports whether a secret went into the result, so that
//! the executor can keep secrets to their own hosts and out of reports.

use serde_json::Value;

use crate::diag::{Diagnostic, Diagnostics, Loc};

/// A parsed template of any JSON shape.
#[derive(Debug, Clone)]
pub enum Template {
    Literal(Value),
    /// A string made only of one expression: keeps the value's type.
    Whole(Expr),
    /// Text with expressions inside: always a string.
    Text(Vec<Part>),
    Array(Vec<Template>),
    Object(Vec<(String, Template)>),
}

#[derive(Debug, Clone)]
pub enum Part {
    Lit(String),
    Expr(Expr),
}

/// `profile.oidc.issuer | trim_end('/')`
#[derive(Debug, Clone)]
pub struct Expr {
    /// Dotted path; the first segment is the namespace (`profile`, `capture`, `item`).
    pub path: Vec<String>,
    pub filters: Vec<Filter>,
    pub source: String,
}

impl Expr {
    pub fn namespace(&self) -> &str {
        &self.path[0]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    TrimEnd(String),
    TrimStart(String),
    Lower,
    Upper,
    UrlEncode,
    Json,
    Default(Value),
    /// RFC 8414 §3.1: `/.well-known/<name>` inserted between the host and the path.
    WellKnown(String),
    /// `split('/')`: a string into a list of its pieces.
    Split(String),
    /// `at(2)`: the item at a position of a list, from 0; `at(-1)` is the last.
    At(i64),
}

/// A value found for a variable, and whether it is a secret.
pub struct Found {
    pub value: Value,
    pub secret: bool,
}

/// Where templates find their variables.
pub trait Vars: Send + Sync {
    /// `Ok(None)` when the variable is not defined; `Err` when it is defined
    /// but cannot be produced (an unset secret, say).
    fn lookup(&self, path: &[String]) -> Result<Option<Found>, String>;
}

/// The result of rendering.
#[derive(Debug)]
pub struct Rendered {
    pub value: Value,
    /// A secret went into the value.
    pub secret: bool,
}

pub const NAMESPACES: [&str; 4] = ["profile", "capture", "item", "repeat"];

impl Template {
    /// Parse every string of `value`; errors are reported at `loc`.
    pub fn parse(value: &Value, loc: &Loc, diags: &mut Diagnostics) -> Template {
        match value {
            Value::String(s) => match parse_text(s) {
                Ok(parts) => {
                    if parts.is_empty() {
                        Template::Literal(Value::String(String::new()))
                    } else if parts.len() == 1 {
                        match parts.into_iter().next() {
                            Some(Part::Expr(e)) => Template::Whole(e),
                            Some(Part::Lit(s)) => Template::Literal(Value::String(s)),
                            None => unreachable!("one part"),
                        }
                    } else {
                        Template::Text(parts)
                    }
                }
                Err(msg) => {
                    diags.push(Diagnostic::new(format!("template `{s}`: {msg}")).at(loc));
                    Template::Literal(value.clone())
                }
            },
            Value::Array(items) => Template::Array(
                items
                    .iter()
                    .map(|v| Template::parse(v, loc, diags))
                    .collect(),
            ),
            Value::Object(map) => Template::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Template::parse(v, loc, diags)))
                    .collect(),
            ),
            other => Template::Literal(other.clone()),
        }
    }

    /// Parse a YAML node's JSON form, located at the node.
    pub fn from_node(node: &crate::yaml::Node, diags: &mut Diagnostics) -> Template {
        Template::parse(&node.to_json(), &node.loc, diags)
    }

    /// A template that renders to this fixed value.
    pub fn literal(value: Value) -> Template {
        Template::Literal(value)
    }

    /// Every expression, for load-time checks of the variables.
    pub fn exprs(&self) -> Vec<&Expr> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a Expr>) {
        match self {
            Template::Literal(_) => {}
            Template::Whole(e) => out.push(e),
            Template::Text(parts) => out.extend(parts.iter().filter_map(|p| match p {
                Part::Expr(e) => Some(e),
                Part::Lit(_) => None,
            })),
            Template::Array(items) => items.iter().for_each(|t| t.collect(out)),
            Template::Object(entries) => entries.iter().for_each(|(_, t)| t.collect(out)),
        }
    }

    pub fn is_literal(&self) -> bool {
        self.exprs().is_empty()
    }

    /// The value when the template has no expressions.
    pub fn as_literal(&self) -> Option<Value> {
        if self.is_literal() {
            self.render(&NoVars).ok().map(|r| r.value)
        } else {
            None
        }
    }

    pub fn render(&self, vars: &dyn Vars) -> Result<Rendered, String> {
        let mut secret = false;
        let value = self.render_into(vars, &mut secret)?;
        Ok(Rendered { value, secret })
    }

    fn render_into(&self, vars: &dyn Vars, secret: &mut bool) -> Result<Value, String> {
        Ok(match self {
            Template::Literal(v) => v.clone(),
            Template::Whole(e) => eval(e, vars, secret)?,
            Template::Text(parts) => {
                let mut s = String::new();
                for part in parts {
                    match part {
                        Part::Lit(l) => s.push_str(l),
                        Part::Expr(e) => match eval(e, vars, secret)? {
                            Value::String(v) => s.push_str(&v),
                            Value::Null => {}
                            other => s.push_str(&other.to_string()),
                        },
                    }
                }
                Value::String(s)
            }
            Template::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|t| t.render_into(vars, secret))
                    .collect::<Result<_, _>>()?,
            ),
            Template::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, t)| Ok((k.clone(), t.render_into(vars, secret)?)))
                    .collect::<Result<_, String>>()?,
            ),
        })
    }
}

/// A scope with no variables.
pub struct NoVars;
impl Vars for NoVars {
    fn lookup(&self, _: &[String]) -> Result<Option<Found>, String> {
        Ok(None)
    }
}

fn eval(expr: &Expr, vars: &dyn Vars, secret: &mut bool) -> Result<Value, String> {
    let found = vars.lookup(&expr.path)?;
    let mut value = match found {
        Some(f) => {
            *secret |= f.secret;
            Some(f.value)
        }
        None => None,
    };
    for filter in &expr.filters {
        value = match (filter, value) {
            (Filter::Default(d), None) | (Filter::Default(d), Some(Value::Null)) => Some(d.clone()),
            (_, None) => None,
            (f, Some(v)) => Some(apply(f, v)?),
        };
    }
    value.ok_or_else(|| format!("`{}` is not defined", expr.path.join(".")))
}

fn apply(filter: &Filter, value: Value) -> Result<Value, String> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Ok(match filter {
        Filter::TrimEnd(t) => Value::String(text(&value).trim_end_matches(t.as_str()).to_string()),
        Filter::TrimStart(t) => {
            Value::String(text(&value).trim_start_matches(t.as_str()).to_string())
        }
        Filter::Lower => Value::String(text(&value).to_lowercase()),
        Filter::Upper => Value::String(text(&value).to_uppercase()),
        Filter::UrlEncode => {
            Value::String(url::form_urlencoded::byte_serialize(text(&value).as_bytes()).collect())
        }
        Filter::Json => Value::String(value.to_string()),
        Filter::WellKnown(name) => {
            let text = text(&value);
            let mut url = url::Url::parse(&text)
                .map_err(|e| format!("well_known: `{text}` is not a URL: {e}"))?;
            let path = url.path().trim_end_matches('/').to_string();
            url.set_path(&format!("/.well-known/{name}{path}"));
            Value::String(url.to_string())
        }
        Filter::Split(sep) => Value::Array(
            text(&value)
                .split(sep.as_str())
                .map(|p| Value::String(p.to_string()))
                .collect(),
        ),
        Filter::At(i) => {
            let Value::Array(items) = value else {
                return Err(format!(
                    "at({i}) needs a list, such as `… | split('/') | at({i})`"
                ));
            };
            let n = items.len() as i64;
            let at = if *i < 0 { n + i } else { *i };
            if at < 0 || at >= n {
                return Err(format!("at({i}): the list has {n} item(s)"));
            }
            items[at as usize].clone()
        }
        Filter::Default(_) => value,
    })
}

/// Split a string into literal text and expressions.
fn parse_text(s: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            parts.push(Part::Lit(rest[..start].to_string()));
        }
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or("`{{` without a closing `}}`")?;
        parts.push(Part::Expr(parse_expr(after[..end].trim())?));
        rest = &after[end + 2..];
    }
    if rest.contains("}}") {
        return Err("`}}` without an opening `{{`".into());
    }
    if !rest.is_empty() {
        parts.push(Part::Lit(rest.to_string()));
    }
    Ok(parts)
}

fn parse_expr(src: &str) -> Result<Expr, String> {
    let mut pieces = split_top(src, '|').into_iter();
    let var = pieces.next().unwrap_or_default().trim().to_string();
    if var.is_empty() {
        return Err("empty expression".into());
    }
    let path: Vec<String> = var.split('.').map(str::to_string).collect();
    if path.iter().any(|p| {
        p.is_empty()
            || !p
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    }) {
        return Err(format!(
            "`{var}` is not a variable name (letters, digits, `_`, `-`, joined by dots)"
        ));
    }
    if !NAMESPACES.contains(&path[0].as_str()) {
        return Err(format!(
            "`{var}` names no known namespace; variables start with {}",
            NAMESPACES.map(|n| format!("`{n}.`")).join(", ")
        ));
    }
    let filters = pieces
        .map(|f| parse_filter(f.trim()))
        .collect::<Result<_, _>>()?;
    Ok(Expr {
        path,
        filters,
        source: src.to_string(),
    })
}

fn parse_filter(src: &str) -> Result<Filter, String> {
    let (name, arg) = match src.find('(') {
        Some(i) => {
            let arg = src[i + 1..]
                .strip_suffix(')')
                .ok_or_else(|| format!("filter `{src}` lacks `)`"))?;
            (&src[..i], Some(arg.trim()))
        }
        None => (src, None),
    };
    let string_arg = || -> Result<String, String> {
        let a = arg.ok_or_else(|| format!("filter `{name}` takes one argument"))?;
        a.strip_prefix('\'')
            .and_then(|a| a.strip_suffix('\''))
            .or_else(|| a.strip_prefix('"').and_then(|a| a.strip_suffix('"')))
            .map(str::to_string)
            .ok_or_else(|| format!("the argument of `{name}` is a quoted string"))
    };
    Ok(match name.trim() {
        "trim_end" => Filter::TrimEnd(string_arg()?),
        "trim_start" => Filter::TrimStart(string_arg()?),
        "lower" => Filter::Lower,
        "upper" => Filter::Upper,
        "urlencode" => Filter::UrlEncode,
        "json" => Filter::Json,
        "well_known" => Filter::WellKnown(string_arg()?),
        "split" => Filter::Split(string_arg()?).check_split()?,
        "at" => Filter::At(
            arg.and_then(|a| a.parse().ok())
                .ok_or("filter `at` takes a whole number, such as `at(0)` or `at(-1)`")?,
        ),
        "default" => {
            let a = arg.ok_or("filter `default` takes one argument")?;
            let a = a.replace('\'', "\"");
            Filter::Default(
                serde_json::from_str(&a)
                    .map_err(|_| format!("`default({a})` takes a JSON value"))?,
            )
        }
        other => {
            let known = [
                "trim_end",
                "trim_start",
                "lower",
                "upper",
                "urlencode",
                "json",
                "default",
                "well_known",
                "split",
                "at",
            ];
            let hint = crate::diag::did_you_mean(other, known)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            return Err(format!("unknown filter `{other}`{hint}"));
        }
    })
}

impl Filter {
    fn check_split(self) -> Result<Filter, String> {
        match &self {
            Filter::Split(sep) if sep.is_empty() => Err("`split('')` needs a separator".into()),
            _ => Ok(self),
        }
    }
}

/// Split on `sep` outside quotes and parentheses.
fn split_top(s: &str, sep: char) -> Vec<String> {
    let (mut out, mut cur, mut depth, mut quote) = (Vec::new(), String::new(), 0i32, None);
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, c) if c == sep && depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Map(Value);
    impl Vars for Map {
        fn lookup(&self, path: &[String]) -> Result<Option<Found>, String> {
            let mut v = &self.0;
            for p in path {
                match v.get(p) {
                    Some(next) => v = next,
                    None => return Ok(None),
                }
            }
            Ok(Some(Found {
                value: v.clone(),
                secret: path.last().is_some_and(|l| l == "token"),
            }))
        }
    }

    fn render(t: Value, vars: Value) -> Result<Rendered, String> {
        let loc = Loc {
            file: "t".into(),
            line: 1,
            col: 1,
        };
        let mut d = Diagnostics::default();
        let t = Template::parse(&t, &loc, &mut d);
        assert!(d.is_empty(), "{d:?}");
        t.render(&Map(vars))
    }

    #[test]
    fn whole_expressions_keep_types() {
        let vars = json!({"capture": {"list": ["a", "b"], "n": 3}});
        assert_eq!(
            render(json!("{{ capture.list }}"), vars.clone())
                .unwrap()
                .value,
            json!(["a", "b"])
        );
        assert_eq!(
            render(json!({"x": "{{capture.n}}"}), vars.clone())
                .unwrap()
                .value,
            json!({"x": 3})
        );
        assert_eq!(
            render(json!("n={{ capture.n }}"), vars).unwrap().value,
            json!("n=3")
        );
    }

    #[test]
    fn filters_apply_in_order() {
        let vars = json!({"profile": {"issuer": "https://x.test/"}});
        let out = render(
            json!("{{ profile.issuer | trim_end('/') }}/.well-known"),
            vars,
        )
        .unwrap();
        assert_eq!(out.value, json!("https://x.test/.well-known"));
        let out = render(
            json!("{{ profile.missing | default('fi') }}"),
            json!({"profile": {}}),
        )
        .unwrap();
        assert_eq!(out.value, json!("fi"));
    }

    #[test]
    fn split_and_at_take_identifier_parts() {
        let vars =
            json!({"profile": {"client": "FI-TEST/GOV/0245437-2/conform", "member": "EE/COM/123"}});
        let part = |t: &str| render(json!(t), vars.clone()).map(|r| r.value);
        assert_eq!(
            part("{{ profile.client | split('/') | at(2) }}").unwrap(),
            json!("0245437-2")
        );
        assert_eq!(
            part("{{ profile.client | split('/') | at(-1) }}").unwrap(),
            json!("conform")
        );
        assert_eq!(
            part("{{ profile.member | split('/') }}").unwrap(),
            json!(["EE", "COM", "123"])
        );
        let e = part("{{ profile.member | split('/') | at(3) }}").unwrap_err();
        assert!(e.contains("has 3 item(s)"), "{e}");
        let e = part("{{ profile.member | at(0) }}").unwrap_err();
        assert!(e.contains("needs a list"), "{e}");
        assert!(parse_filter("at(x)").is_err());
        assert!(parse_filter("split('')").is_err());
    }

    #[test]
    fn well_known_inserts_between_host_and_path() {
        let f = |issuer: &str| {
            render(
                json!("{{ profile.i | well_known('oauth-authorization-server') }}"),
                json!({"profile": {"i": issuer}}),
            )
            .unwrap()
            .value
        };
        assert_eq!(
            f("https://as.test/"),
            json!("https://as.test/.well-known/oauth-authorization-server")
        );
        assert_eq!(
            f("https://as.test:8443/tenant/1"),
            json!("https://as.test:8443/.well-known/oauth-authorization-server/tenant/1")
        );
    }

    #[test]
    fn secrets_taint_the_result_and_undefined_is_an_error() {
        let vars = json!({"profile": {"token": "s3cr3t"}});
        assert!(
            render(json!("Bearer {{ profile.token }}"), vars.clone())
                .unwrap()
                .secret
        );
        assert!(
            render(json!("{{ profile.nope }}"), vars)
                .unwrap_err()
                .contains("not defined")
        );
    }

    #[test]
    fn bad_templates_are_load_errors() {
        let loc = Loc {
            file: "t".into(),
            line: 4,
            col: 7,
        };
        for bad in [
            "{{ x.y }}",
            "{{ profile.a",
            "{{ profile.a | frobnicate }}",
            "{{ }}",
        ] {
            let mut d = Diagnostics::default();
            Template::parse(&json!(bad), &loc, &mut d);
            assert_eq!(d.len(), 1, "{bad}");
            assert_eq!(d.0[0].loc.as_ref().unwrap().line, 4);
        }
    }
}
