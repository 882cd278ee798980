//! Loading `fixtures/sandbox/<cc>/routes.yaml`: which answer the sandbox
//! gives to which request. The format is documented in
//! `fixtures/sandbox/README.md`; every problem is reported at its
//! `file:line:col`, all at once.

use std::collections::BTreeMap;

use crate::decode::{self, Fields};
use crate::diag::{Diagnostic, Diagnostics, Loc, SourceFile};
use crate::project::{DataFile, SANDBOX_FOLDER};
use crate::yaml::Node;

use super::render;

/// The scheme a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Https,
    Http,
}

/// The schemes a route is served on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schemes {
    Https,
    Http,
    Both,
}

impl Schemes {
    pub fn serves(self, scheme: Scheme) -> bool {
        matches!(
            (self, scheme),
            (Schemes::Both, _) | (Schemes::Https, Scheme::Https) | (Schemes::Http, Scheme::Http)
        )
    }
}

/// One canned answer.
#[derive(Debug, Clone)]
pub struct Route {
    /// The country folder it comes from (`no`).
    pub country: String,
    /// Lower case, under `.test`, no port.
    pub host: String,
    pub path: String,
    /// Upper case.
    pub method: String,
    pub scheme: Schemes,
    pub status: u16,
    /// As written; rendered when the sandbox starts.
    pub headers: Vec<(String, String)>,
    /// As written; rendered when the sandbox starts (when it is UTF-8).
    pub body: Vec<u8>,
    /// Query parameters that must be present with these values.
    pub query: Vec<(String, String)>,
    /// Texts the request body must contain (a SOAP endpoint answers every
    /// operation at one URL: the body tells them apart).
    pub body_contains: Vec<String>,
    /// Where the route is written.
    pub loc: Loc,
}

impl Route {
    /// Whether this route answers the request.
    pub fn matches(
        &self,
        scheme: Scheme,
        host: &str,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: &[u8],
    ) -> bool {
        self.scheme.serves(scheme)
            && self.host.eq_ignore_ascii_case(host)
            && self.path == path
            && (self.method == method || method == "HEAD" && self.method == "GET")
            && self.query.iter().all(|q| query.contains(q))
            && self
                .body_contains
                .iter()
                .all(|t| contains(body, t.as_bytes()))
    }
}

/// Every route of every country, in order: countries by code, routes as written.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    pub routes: Vec<Route>,
}

impl Routes {
    /// The first route that answers the request. A `HEAD` is answered by a
    /// `HEAD` route, else by the `GET` route of the same resource.
    pub fn find(
        &self,
        scheme: Scheme,
        host: &str,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: &[u8],
    ) -> Option<&Route> {
        let exact = |r: &&Route| r.method == method;
        let candidates = || {
            self.routes
                .iter()
                .filter(|r| r.matches(scheme, host, method, path, query, body))
        };
        candidates().find(exact).or_else(|| candidates().next())
    }

    /// Every host named by a route, sorted, once each.
    pub fn hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = self.routes.iter().map(|r| r.host.clone()).collect();
        hosts.sort();
        hosts.dedup();
        hosts
    }

    /// The countries that have routes, sorted.
    pub fn countries(&self) -> Vec<String> {
        let mut cc: Vec<String> = self.routes.iter().map(|r| r.country.clone()).collect();
        cc.sort();
        cc.dedup();
        cc
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether a sandbox file is a routes file: `routes.yaml`, or `routes-<part>.yaml`
/// so that each domain keeps its endpoints in a file of its own.
fn is_routes_file(name: &str) -> bool {
    name == "routes.yaml"
        || name
            .strip_prefix("routes-")
            .and_then(|r| r.strip_suffix(".yaml"))
            .is_some_and(|part| !part.is_empty() && !part.contains('/'))
}

/// Load every `<cc>/routes.yaml` and `<cc>/routes-<part>.yaml` of the sandbox's files.
pub fn load(files: &[DataFile]) -> Result<Routes, Diagnostics> {
    let mut diags = Diagnostics::default();
    let by_rel: BTreeMap<&str, &DataFile> = files.iter().map(|f| (f.rel.as_str(), f)).collect();
    let mut routes = Vec::new();
    for file in files {
        let Some((cc, name)) = file.rel.split_once('/') else {
            continue;
        };
        if !is_routes_file(name) {
            continue;
        }
        if cc.len() != 2 || !cc.bytes().all(|b| b.is_ascii_lowercase()) {
            diags.push(Diagnostic::new(format!(
                "{}: sandbox data goes in {SANDBOX_FOLDER}/<cc>/routes.yaml, with <cc> a lower-case ISO 3166-1 alpha-2 code",
                file.shown
            )));
            continue;
        }
        let text = match String::from_utf8(file.bytes.clone()) {
            Ok(t) => t,
            Err(_) => {
                diags.push(Diagnostic::new(format!(
                    "{}: the file is not valid UTF-8",
                    file.shown
                )));
                continue;
            }
        };
        let src = SourceFile::new(file.shown.clone(), text);
        let mut local = Diagnostics::default();
        match crate::yaml::parse(&src) {
            Err(d) => local.push(d),
            Ok(node) => routes.extend(decode_file(&node, cc, &by_rel, &mut local)),
        }
        for d in local.0 {
            let quoted = match &d.loc {
                Some(l) if d.snippet.is_none() && l.file == src.name => d.quote(&src),
                _ => d,
            };
            diags.push(quoted);
        }
    }
    shadowed(&routes, &mut diags);
    if diags.is_empty() {
        Ok(Routes { routes })
    } else {
        diags.sort();
        Err(diags)
    }
}

fn decode_file(
    root: &Node,
    cc: &str,
    files: &BTreeMap<&str, &DataFile>,
    diags: &mut Diagnostics,
) -> Vec<Route> {
    let Some(mut f) = Fields::new(root, "a sandbox routes file", diags) else {
        return Vec::new();
    };
    let list = f.required("routes", root, diags);
    f.finish(diags);
    let Some(list) = list else {
        return Vec::new();
    };
    decode::list(list, "routes", diags)
        .iter()
        .filter_map(|n| route(n, cc, files, diags))
        .collect()
}

fn route(
    node: &Node,
    cc: &str,
    files: &BTreeMap<&str, &DataFile>,
    diags: &mut Diagnostics,
) -> Option<Route> {
    let mut f = Fields::new(node, "a route", diags)?;
    let before = diags.len();
    let host = f.required("host", node, diags).and_then(|n| {
        let h = decode::string(n, "a host name", diags)?;
        let valid = !h.is_empty()
            && h.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
            && h.split('.')
                .all(|label| !label.is_empty() && label.len() <= 63);
        if !valid {
            diags.push(
                Diagnostic::new(format!(
                    "`{h}` is not a host name in lower case (no scheme, no port, no path)"
                ))
                .at(&n.loc),
            );
            None
        } else if !render::is_test_host(&h) {
            diags.push(
                Diagnostic::new(format!(
                    "`{h}` is not under the reserved `.test` TLD; sandbox hosts end with `.test`"
                ))
                .at(&n.loc)
                .with_help(format!("such as `{h}.test`")),
            );
            None
        } else {
            Some(h)
        }
    });
    let path = f.required("path", node, diags).and_then(|n| {
        let p = decode::string(n, "a path", diags)?;
        if !p.starts_with('/') || p.contains(['?', '#']) || p.contains(char::is_whitespace) {
            diags.push(
                Diagnostic::new(format!(
                    "`{p}` is not a path: it starts with `/` and has no query (write `query:`), fragment or space"
                ))
                .at(&n.loc),
            );
            return None;
        }
        Some(p)
    });
    let method = match f.get("method") {
        None => Some("GET".to_string()),
        Some(n) => decode::string(n, "an HTTP method", diags).and_then(|m| {
            if m.is_empty() || !m.bytes().all(|b| b.is_ascii_alphabetic()) {
                diags.push(Diagnostic::new(format!("`{m}` is not an HTTP method")).at(&n.loc));
                return None;
            }
            Some(m.to_ascii_uppercase())
        }),
    };
    let scheme = match f.get("scheme") {
        None => Some(Schemes::Https),
        Some(n) => match decode::string(n, "a scheme", diags).as_deref() {
            Some("https") => Some(Schemes::Https),
            Some("http") => Some(Schemes::Http),
            Some("both") => Some(Schemes::Both),
            Some(other) => {
                diags.push(
                    Diagnostic::new(format!(
                        "`scheme: {other}`: write https (the default), http or both"
                    ))
                    .at(&n.loc),
                );
                None
            }
            None => None,
        },
    };
    let status = match f.get("status") {
        None => Some(200),
        Some(n) => decode::unsigned(n, "an HTTP status", diags).and_then(|s| {
            if (100..=599).contains(&s) {
                Some(s as u16)
            } else {
                diags.push(Diagnostic::new(format!("{s} is not an HTTP status")).at(&n.loc));
                None
            }
        }),
    };
    let mut headers = Vec::new();
    if let Some(n) = f.get("headers") {
        for (name, v) in decode::string_map(n, "headers", diags) {
            let Some(value) = decode::string(v, "a header value", diags) else {
                continue;
            };
            if axum::http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                diags.push(Diagnostic::new(format!("`{name}` is not a header name")).at(&v.loc));
            } else if axum::http::HeaderValue::from_str(&value).is_err() {
                diags.push(
                    Diagnostic::new(format!("the value of `{name}` is not a header value"))
                        .at(&v.loc),
                );
            } else {
                check_placeholders(&value, &v.loc, None, diags);
                headers.push((name.to_ascii_lowercase(), value));
            }
        }
    }
    let mut query = Vec::new();
    if let Some(n) = f.get("query") {
        for (name, v) in decode::string_map(n, "query parameters", diags) {
            if let Some(value) = decode::string(v, "a query value", diags) {
                query.push((name, value));
            }
        }
    }
    let body_contains: Vec<String> = match f.get("body_contains") {
        None => Vec::new(),
        Some(n) => decode::string_list(n, "texts the request body contains", diags)
            .into_iter()
            .filter_map(|(t, at)| {
                if t.is_empty() {
                    diags.push(Diagnostic::new("an empty text matches every body").at(&at.loc));
                    None
                } else {
                    Some(t)
                }
            })
            .collect(),
    };
    let file = f.get("file");
    let inline = f.get("body");
    let has_type = |h: &[(String, String)]| h.iter().any(|(k, _)| k == "content-type");
    let body: Option<Vec<u8>> = match (file, inline) {
        (Some(_), Some(b)) => {
            diags.push(Diagnostic::new("a route has `file` or `body`, not both").at(&b.loc));
            None
        }
        (None, Some(b)) => match decode::string(b, "a body (text)", diags) {
            Some(text) => {
                check_placeholders(&text, &b.loc, None, diags);
                if !text.is_empty() && !has_type(&headers) {
                    headers.push(("content-type".into(), "text/plain; charset=utf-8".into()));
                }
                Some(text.into_bytes())
            }
            None => None,
        },
        (Some(n), None) => match decode::string(n, "a file path", diags) {
            Some(rel) => {
                let clean = !rel.is_empty()
                    && !rel.starts_with('/')
                    && !rel.contains('\\')
                    && rel
                        .split('/')
                        .all(|c| !c.is_empty() && c != "." && c != "..");
                let data = files.get(format!("{cc}/{rel}").as_str());
                if !clean {
                    diags.push(
                        Diagnostic::new(format!(
                            "`{rel}` is not a path inside {SANDBOX_FOLDER}/{cc}/ (no `..`, no leading `/`)"
                        ))
                        .at(&n.loc),
                    );
                    None
                } else if let Some(data) = data {
                    if !has_type(&headers)
                        && let Some(ct) = content_type(&rel)
                    {
                        headers.push(("content-type".into(), ct.into()));
                    }
                    // Text is checked for placeholders; anything else is served byte for byte.
                    if let Ok(text) = std::str::from_utf8(&data.bytes) {
                        let src = SourceFile::new(data.shown.clone(), text);
                        check_placeholders(text, &n.loc, Some(&src), diags);
                    }
                    Some(data.bytes.clone())
                } else {
                    diags.push(
                        Diagnostic::new(format!("no file {SANDBOX_FOLDER}/{cc}/{rel}")).at(&n.loc),
                    );
                    None
                }
            }
            None => None,
        },
        (None, None) => Some(Vec::new()),
    };
    f.finish(diags);
    if diags.len() > before {
        return None;
    }
    Some(Route {
        country: cc.to_string(),
        host: host?,
        path: path?,
        method: method?,
        scheme: scheme?,
        status: status?,
        headers,
        body: body?,
        query,
        body_contains,
        loc: node.loc.clone(),
    })
}

/// The content type a file's extension implies, when a route names none.
fn content_type(rel: &str) -> Option<&'static str> {
    let ext = rel.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "json" => "application/json",
        "jwks" => "application/jwk-set+json",
        "xml" => "application/xml",
        "html" | "htm" => "text/html; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "rdf" => "application/rdf+xml",
        "ttl" => "text/turtle",
        "jsonld" => "application/ld+json",
        "pem" => "application/x-pem-file",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        _ => return None,
    })
}

/// Refuse `{{ … }}` placeholders the sandbox does not know. In a body file
/// (`src`), the diagnostic points at the placeholder itself; otherwise at
/// the value in the routes file.
fn check_placeholders(text: &str, at: &Loc, src: Option<&SourceFile>, diags: &mut Diagnostics) {
    for (start, _, name) in render::placeholders(text) {
        if render::PLACEHOLDERS.contains(&name) {
            continue;
        }
        let mut d = Diagnostic::new(format!("unknown placeholder `{{{{ {name} }}}}`"));
        d = match crate::diag::did_you_mean(name, render::PLACEHOLDERS) {
            Some(s) => d.with_help(format!("did you mean `{{{{ {s} }}}}`?")),
            None => d.with_help(format!(
                "the sandbox fills in: {}",
                render::PLACEHOLDERS.join(", ")
            )),
        };
        match src {
            Some(src) => {
                let before = &text[..start];
                let line = before.matches('\n').count() + 1;
                let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                let loc = Loc {
                    file: src.name.clone(),
                    line: line as u32,
                    col: col as u32,
                };
                diags.push(d.at(&loc).quote(src));
            }
            None => diags.push(d.at(at)),
        }
    }
}

/// A route that an earlier one always answers first is a mistake.
fn shadowed(routes: &[Route], diags: &mut Diagnostics) {
    for (i, later) in routes.iter().enumerate() {
        if let Some(first) = routes[..i].iter().find(|r| {
            r.host == later.host
                && r.path == later.path
                && r.method == later.method
                && (r.scheme == Schemes::Both || r.scheme == later.scheme)
                && r.query.iter().all(|q| later.query.contains(q))
                && r.body_contains
                    .iter()
                    .all(|t| later.body_contains.contains(t))
        }) {
            diags.push(
                Diagnostic::new(format!(
                    "this route is never used: the route at {} answers the same requests first",
                    first.loc
                ))
                .at(&later.loc),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(files: &[(&str, &str)]) -> Vec<DataFile> {
        files
            .iter()
            .map(|(rel, text)| DataFile {
                rel: rel.to_string(),
                shown: format!("fixtures/sandbox/{rel}"),
                bytes: text.as_bytes().to_vec(),
            })
            .collect()
    }

    const ROUTES: &str = "routes:
  - host: idp.xx.test
    path: /a
    query: { ui_locales: en }
    body: english
  - host: idp.xx.test
    path: /a
    file: doc/a.json
  - host: idp.xx.test
    path: /a
    method: post
    status: 201
    scheme: both
  - host: plain.xx.test
    path: /p
    scheme: http
    headers: { content-type: text/plain }
    body: plain
";

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn matches_host_method_path_and_query_subset_first_wins() {
        let routes = load(&data(&[
            ("xx/routes.yaml", ROUTES),
            ("xx/doc/a.json", "{\"a\":1}"),
            ("README.md", "ignored"),
        ]))
        .unwrap();
        let find = |s, h, m, p, query: &[(&str, &str)]| {
            routes.find(s, h, m, p, &q(query), b"").map(|r| r.loc.line)
        };
        use Scheme::*;
        assert_eq!(find(Https, "idp.xx.test", "GET", "/a", &[]), Some(6));
        assert_eq!(
            find(
                Https,
                "IDP.xx.test",
                "GET",
                "/a",
                &[("x", "1"), ("ui_locales", "en")]
            ),
            Some(2)
        );
        assert_eq!(
            find(Https, "idp.xx.test", "GET", "/a", &[("ui_locales", "nb")]),
            Some(6)
        );
        assert_eq!(find(Https, "idp.xx.test", "HEAD", "/a", &[]), Some(6));
        assert_eq!(find(Http, "idp.xx.test", "POST", "/a", &[]), Some(9));
        assert_eq!(find(Http, "idp.xx.test", "GET", "/a", &[]), None);
        assert_eq!(find(Https, "plain.xx.test", "GET", "/p", &[]), None);
        assert_eq!(find(Http, "plain.xx.test", "GET", "/p", &[]), Some(14));
        assert_eq!(find(Https, "other.xx.test", "GET", "/a", &[]), None);
        assert_eq!(find(Https, "idp.xx.test", "GET", "/a/", &[]), None);
        assert_eq!(find(Https, "idp.xx.test", "DELETE", "/a", &[]), None);
        let r = routes
            .find(Https, "idp.xx.test", "GET", "/a", &[], b"")
            .unwrap();
        assert_eq!(r.body, b"{\"a\":1}");
        assert_eq!(
            r.headers,
            vec![("content-type".to_string(), "application/json".to_string())]
        );
        assert_eq!(routes.hosts(), vec!["idp.xx.test", "plain.xx.test"]);
        assert_eq!(routes.countries(), vec!["xx"]);
    }

    #[test]
    fn soap_operations_at_one_url_are_told_apart_by_the_body() {
        let text = "routes:
  - host: ss.xx.test
    path: /
    method: POST
    body_contains: ['<id:serviceCode>listMethods<', '<id:subsystemCode>a<']
    body: list-a
  - host: ss.xx.test
    path: /
    method: POST
    body_contains: '<id:serviceCode>listMethods<'
    body: list-any
  - host: ss.xx.test
    path: /
    method: POST
    body_contains: ['<id:serviceCode>listMethods<', 'more']
    body: never
";
        let d = load(&data(&[("xx/routes.yaml", text)])).unwrap_err();
        assert!(
            d.render()
                .contains("routes.yaml:12:5: this route is never used"),
            "{}",
            d.render()
        );
        let text: String = text.lines().take(11).collect::<Vec<_>>().join("\n");
        let routes = load(&data(&[("xx/routes.yaml", &text)])).unwrap();
        let body = |b: &[u8]| {
            routes
                .find(Scheme::Https, "ss.xx.test", "POST", "/", &[], b)
                .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        };
        let a =
            b"<id:subsystemCode>a</id:subsystemCode><id:serviceCode>listMethods</id:serviceCode>";
        assert_eq!(body(a).as_deref(), Some("list-a"));
        assert_eq!(
            body(b"<id:serviceCode>listMethods</id:serviceCode>").as_deref(),
            Some("list-any")
        );
        assert_eq!(body(b"<id:serviceCode>getWsdl</id:serviceCode>"), None);
    }

    #[test]
    fn reports_every_mistake_with_its_position() {
        let text = "routes:
  - host: idp.example.com
    path: nope
    scheme: ftp
    status: 999
    file: ../x.json
  - host: ok.xx.test
    path: /x
    body: '{{ sandbox.cert.vaild }}'
    methd: GET
  - host: ok.xx.test
    path: /y
    file: missing.json
  - host: ok.xx.test
    path: /z
    file: z.json
  - host: ok.xx.test
    path: /x
    query: { a: b }
";
        let err = load(&data(&[
            ("xx/routes.yaml", text),
            ("xx/z.json", "{\n  \"k\": \"{{ nope }}\"\n}"),
            ("XX1/routes.yaml", "routes: []"),
        ]))
        .unwrap_err();
        let rendered = err.render();
        for want in [
            "fixtures/sandbox/xx/routes.yaml:2:11: `idp.example.com` is not under the reserved `.test` TLD",
            "fixtures/sandbox/xx/routes.yaml:3:11: `nope` is not a path",
            "fixtures/sandbox/xx/routes.yaml:4:13: `scheme: ftp`",
            "fixtures/sandbox/xx/routes.yaml:5:13: 999 is not an HTTP status",
            "fixtures/sandbox/xx/routes.yaml:6:11: `../x.json` is not a path inside",
            "fixtures/sandbox/xx/routes.yaml:9:11: unknown placeholder `{{ sandbox.cert.vaild }}`",
            "did you mean `{{ sandbox.cert.valid }}`?",
            "fixtures/sandbox/xx/routes.yaml:10:5: unknown key `methd` in a route",
            "fixtures/sandbox/xx/routes.yaml:13:11: no file fixtures/sandbox/xx/missing.json",
            "fixtures/sandbox/xx/z.json:2:9: unknown placeholder `{{ nope }}`",
            "fixtures/sandbox/XX1/routes.yaml: sandbox data goes in",
        ] {
            assert!(rendered.contains(want), "missing {want:?} in\n{rendered}");
        }
        // The route at line 17 is fine but its neighbour at line 7 was refused,
        // so nothing shadows it; exactly the listed problems are reported.
        assert_eq!(err.len(), 10, "{rendered}");
    }

    #[test]
    fn refuses_routes_that_can_never_answer() {
        let text = "routes:
  - { host: a.xx.test, path: /x, scheme: both }
  - { host: a.xx.test, path: /x, query: { a: b } }
  - { host: a.xx.test, path: /x, scheme: http, method: POST }
";
        let err = load(&data(&[("xx/routes.yaml", text)])).unwrap_err();
        assert_eq!(err.len(), 1, "{}", err.render());
        assert!(err.0[0].render().contains("xx/routes.yaml:3:5: this route is never used: the route at fixtures/sandbox/xx/routes.yaml:2:5"), "{}", err.render());
    }
}
