//! `schema: { file: <path under schemas/> }` or `schema: { ref: <$id> }`:
//! the body validates against a shared JSON Schema.

use serde_json::json;

use super::{CheckKind, DecodeContext, EvalContext, Outcome};
use crate::diag::{Diagnostic, Diagnostics};
use crate::exchange::Response;
use crate::yaml::Node;

#[derive(Debug)]
struct SchemaCheck {
    path: String,
}

pub fn decode(
    node: &Node,
    cx: &DecodeContext<'_>,
    diags: &mut Diagnostics,
) -> Option<Box<dyn CheckKind>> {
    let mut f = super::fields(node, "a schema check", diags)?;
    let file = f.get("file");
    let by_ref = f.get("ref");
    f.finish(diags);
    let path = match (file, by_ref) {
        (Some(n), None) => {
            let path = crate::decode::string(n, "a schema path", diags)?;
            if !is_inside(&path) {
                diags.push(
                    Diagnostic::new(format!("schema path `{path}` leaves schemas/"))
                        .at(&n.loc)
                        .with_help("name a file relative to schemas/, such as `eid/oidc-discovery.schema.json`"),
                );
                return None;
            }
            if !cx.schemas.contains(&path) {
                let known: Vec<&str> = cx.schemas.paths().collect();
                let mut d =
                    Diagnostic::new(format!("no schema `{path}` under schemas/")).at(&n.loc);
                if let Some(s) = crate::diag::did_you_mean(&path, known) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                diags.push(d);
                return None;
            }
            path
        }
        (None, Some(n)) => {
            let uri = crate::decode::string(n, "a schema `$id`", diags)?;
            match cx.schemas.path_of_uri(&uri) {
                Some(p) => p.to_string(),
                None => {
                    diags.push(
                        Diagnostic::new(format!("no schema under schemas/ has `$id` `{uri}`"))
                            .at(&n.loc),
                    );
                    return None;
                }
            }
        }
        _ => {
            diags.push(
                Diagnostic::new("a schema check takes exactly one of `file` or `ref`")
                    .at(&node.loc),
            );
            return None;
        }
    };
    Some(Box::new(SchemaCheck { path }))
}

/// A relative path that stays below its folder.
fn is_inside(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains(':')
        && path.split('/').all(|seg| !seg.is_empty() && seg != "..")
}

impl CheckKind for SchemaCheck {
    fn name(&self) -> &'static str {
        "schema"
    }
    fn evaluate(&self, response: &Response, cx: &EvalContext<'_>) -> Outcome {
        if response.truncated {
            // Cut at the cap: nothing can be told about the whole body.
            return Outcome::error(format!(
                "cannot validate against {}: the body is larger than the cap of {} bytes and was not read whole",
                self.path,
                response.body.len()
            ));
        }
        let doc = match response.json() {
            Ok(d) => d,
            // A body that is not JSON does not validate against a JSON Schema: the answer breaks the spec.
            Err(e) => {
                return Outcome::fail(e.to_string())
                    .expected(format!("valid against {}", self.path));
            }
        };
        match cx.schemas.validate(&self.path, doc) {
            Err(e) => Outcome::error(e),
            Ok(errors) if errors.is_empty() => {
                Outcome::pass(format!("valid against {}", self.path))
            }
            Ok(errors) => {
                let first = &errors[0];
                let at = if first.instance_path.is_empty() {
                    "/".to_string()
                } else {
                    first.instance_path.clone()
                };
                let more = if errors.len() > 1 {
                    format!(" (and {} more)", errors.len() - 1)
                } else {
                    String::new()
                };
                Outcome::fail(format!(
                    "not valid against {}: at {at}: {}{more}",
                    self.path, first.message
                ))
                .expected(format!("valid against {}", self.path))
                .actual(json!(errors))
                .at(at)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn schema_paths_stay_inside() {
        assert!(super::is_inside("eid/x.schema.json"));
        for bad in [
            "../../etc/passwd",
            "/etc/passwd",
            "a/../../b",
            "c:\\x",
            "",
            "a//b",
        ] {
            assert!(!super::is_inside(bad), "{bad}");
        }
    }
}
