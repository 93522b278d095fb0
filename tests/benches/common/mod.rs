//! Shared by the `dispatch` (criterion) and `instructions` (callgrind) benches:
//! the three implementations under test, the four request bodies, and the
//! correctness check that runs before anything is measured.
//!
//! # Implementations
//!
//! - `ours` ([`Impl::Ours`]) is `rpc_core::Router::handle` with methods written against the router API.
//! - `macro` ([`Impl::Macro`]) is the same router built by `#[rpc]` from plain methods
//!   (generated decoding; see [`MacroService`]).
//! - `floor` ([`Impl::Floor`]) is a hand-written `serde_json` dispatcher that knows only
//!   `add` and `echo` (module [`floor`]). It does the work a correct JSON-RPC
//!   server must do (one typed parse, `"2.0"` check, id and params shape
//!   checks, strict params, proper success and error objects, batches) and
//!   nothing else. It is the cost we measure the others against.
//! - `jsonrpsee` ([`Impl::Jsonrpsee`]) is jsonrpsee 0.26 `RpcModule` with the same methods.
//!   Single calls go through `RpcModule::raw_json_request(&str, 1)`, the
//!   in-process entry point (it also creates a bounded `mpsc` channel per call,
//!   meant for subscriptions; that cost is part of the API). It takes no
//!   batches, so `batch10` goes through jsonrpsee's HTTP service
//!   (`Server::builder().to_service_builder().build(..)`, a tower `Service`)
//!   called in process with an `http::Request`; that path also pays for the
//!   HTTP request/response objects, header checks and body collection.
//! - `jsonrpsee_http` ([`Impl::JsonrpseeHttp`]) sends every case through that HTTP service, so
//!   single calls can be compared with the `batch10` number above.
//!
//! # Running futures
//!
//! Everything measured here finishes on its first poll: rpc-core answers
//! synchronous methods in place, and jsonrpsee's synchronous methods and HTTP
//! service never wait either. So each call is polled exactly once with
//! `FutureExt::now_or_never` (a no-op waker, no runtime, no thread-local
//! set-up), which is the cheapest fair way and costs the same for every
//! implementation; [`ready`] panics if a future ever returns `Pending`, so a
//! change that makes one of them wait cannot go unnoticed.
//!
//! # Strings
//!
//! `echo` decodes its argument as owned `String` in `ours` and `jsonrpsee`:
//! both APIs require a `'static` result, so the answer cannot borrow from the
//! request. The floor writes the borrowed slice (`Cow`, borrowed unless it
//! holds escapes) straight into the response, as a hand-written server would.

use std::future::Future;

use futures_util::FutureExt;
use http_body_util::BodyExt;
use jsonrpsee::server::{stop_channel, HttpBody, HttpRequest, Server, ServerHandle, TowerService};
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::RpcModule;
use rpc_core::{Context, Error, Params, Router};
use serde::Deserialize;
use serde_json::Value;
use tower::layer::util::Identity;
use tower::Service;

/// One implementation under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Impl {
    /// `rpc_core::Router::handle`, methods written against the router API.
    Ours,
    /// `rpc_core::Router::handle`, router built by `#[rpc]`.
    Macro,
    /// The hand-written serde_json dispatcher.
    Floor,
    /// jsonrpsee: `raw_json_request` for single calls, the HTTP service for batches.
    Jsonrpsee,
    /// jsonrpsee's HTTP service for every case.
    JsonrpseeHttp,
}

impl Impl {
    /// Every implementation, in table order.
    pub(crate) const ALL: [Impl; 5] = [
        Impl::Floor,
        Impl::Ours,
        Impl::Macro,
        Impl::Jsonrpsee,
        Impl::JsonrpseeHttp,
    ];

    /// The name used in benchmark ids and on the command line.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Impl::Ours => "ours",
            Impl::Macro => "macro",
            Impl::Floor => "floor",
            Impl::Jsonrpsee => "jsonrpsee",
            Impl::JsonrpseeHttp => "jsonrpsee_http",
        }
    }

    /// The implementation of that name.
    #[allow(dead_code, reason = "only the instructions bench parses names")]
    pub(crate) fn from_name(name: &str) -> Option<Impl> {
        Impl::ALL.into_iter().find(|imp| imp.name() == name)
    }
}

/// One request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    /// `add` with `[1,2]`.
    AddPositional,
    /// `add` with `{"a":1,"b":2}`.
    AddNamed,
    /// Ten positional `add` requests, ids 1 to 10.
    Batch10,
    /// `echo` of a 4096-character ASCII string.
    Echo4k,
    /// `echo_owned` of the same string, decoded into an owned `String` as
    /// users write it.
    EchoOwned4k,
    /// `sum` of 1000 floats, `[[0.125, 0.25, ...]]` (about 7.8 KB), decoded
    /// into a `Vec<f64>`.
    Sum1000,
}

/// Length of the `echo4k` string.
const ECHO_LEN: usize = 4096;

impl Case {
    /// Every case, in table order.
    pub(crate) const ALL: [Case; 6] = [
        Case::AddPositional,
        Case::AddNamed,
        Case::Batch10,
        Case::Echo4k,
        Case::EchoOwned4k,
        Case::Sum1000,
    ];

    /// The name used in benchmark ids and on the command line.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Case::AddPositional => "add_positional",
            Case::AddNamed => "add_named",
            Case::Batch10 => "batch10",
            Case::Echo4k => "echo4k",
            Case::EchoOwned4k => "echo_owned4k",
            Case::Sum1000 => "sum1000",
        }
    }

    /// The case of that name.
    #[allow(dead_code, reason = "only the instructions bench parses names")]
    pub(crate) fn from_name(name: &str) -> Option<Case> {
        Case::ALL.into_iter().find(|case| case.name() == name)
    }

    /// The exact request body.
    pub(crate) fn body(self) -> String {
        match self {
            Case::AddPositional => {
                r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}"#.to_owned()
            }
            Case::AddNamed => {
                r#"{"jsonrpc":"2.0","method":"add","params":{"a":1,"b":2},"id":1}"#.to_owned()
            }
            Case::Batch10 => {
                let entries: Vec<String> = (1..=10)
                    .map(|id| {
                        format!(r#"{{"jsonrpc":"2.0","method":"add","params":[1,2],"id":{id}}}"#)
                    })
                    .collect();
                format!("[{}]", entries.join(","))
            }
            Case::Echo4k => format!(
                r#"{{"jsonrpc":"2.0","method":"echo","params":["{}"],"id":1}}"#,
                "a".repeat(ECHO_LEN)
            ),
            Case::EchoOwned4k => format!(
                r#"{{"jsonrpc":"2.0","method":"echo_owned","params":["{}"],"id":1}}"#,
                "a".repeat(ECHO_LEN)
            ),
            Case::Sum1000 => {
                let values: Vec<String> = sum_values().map(|value| value.to_string()).collect();
                format!(
                    r#"{{"jsonrpc":"2.0","method":"sum","params":[[{}]],"id":1}}"#,
                    values.join(", ")
                )
            }
        }
    }

    /// The `(id, result)` pairs a correct answer holds, in request order.
    fn expected(self) -> Vec<(Value, Value)> {
        match self {
            Case::AddPositional | Case::AddNamed => vec![(Value::from(1), Value::from(3))],
            Case::Batch10 => (1..=10)
                .map(|id| (Value::from(id), Value::from(3)))
                .collect(),
            Case::Echo4k | Case::EchoOwned4k => {
                vec![(Value::from(1), Value::from("a".repeat(ECHO_LEN)))]
            }
            Case::Sum1000 => vec![(Value::from(1), Value::from(sum_values().sum::<f64>()))],
        }
    }
}

/// The 1000 values of `sum1000`: eighths from 0.125 up, repeating every 97
/// (exact in binary, so every implementation sums them to the same bits).
fn sum_values() -> impl Iterator<Item = f64> {
    (0..1000).map(|i| f64::from(i % 97) * 0.125 + 0.125)
}

/// Polls a future once; everything benchmarked here is ready on the first poll.
pub(crate) fn ready<F: Future>(future: F) -> F::Output {
    future
        .now_or_never()
        .expect("benchmarked futures complete on their first poll")
}

/// The `{"a":..,"b":..}` form of `add`'s params (floor and jsonrpsee).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddNamed {
    a: i64,
    b: i64,
}

/// The `{"s":..}` form of `echo`'s params, owned (jsonrpsee).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EchoNamedOwned {
    s: String,
}

/// The `{"values":..}` form of `sum`'s params (floor and jsonrpsee).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SumNamed {
    values: Vec<f64>,
}

/// rpc-core's router with `add(a, b)` and `echo(s)`.
fn our_router() -> Router {
    let mut router = Router::new();
    router
        .method("add", |params: Params<'_>, _: &Context| {
            let (a, b): (i64, i64) = params.decode(&["a", "b"])?;
            Ok::<_, Error>(a + b)
        })
        .and_then(|router| {
            router.method("echo", |params: Params<'_>, _: &Context| {
                let (s,): (String,) = params.decode(&["s"])?;
                Ok::<_, Error>(s)
            })
        })
        .and_then(|router| {
            router.method("echo_owned", |params: Params<'_>, _: &Context| {
                let (s,): (String,) = params.decode(&["s"])?;
                Ok::<_, Error>(s)
            })
        })
        .and_then(|router| {
            router.method("sum", |params: Params<'_>, _: &Context| {
                let (values,): (Vec<f64>,) = params.decode(&["values"])?;
                Ok::<_, Error>(values.iter().sum::<f64>())
            })
        })
        .expect("distinct method names");
    router
}

/// `add(a, b)` and `echo(s)` as plain methods, served through `#[rpc]`.
pub(crate) struct MacroService;

#[rpc_core::rpc]
impl MacroService {
    /// Adds two integers.
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    /// Returns its argument, borrowed from the request (as the hand-written
    /// baseline does) unless it holds escapes.
    fn echo<'a>(&self, s: &'a str) -> &'a str {
        s
    }

    /// Returns its argument, decoded into an owned `String` as users write it.
    fn echo_owned(&self, s: String) -> String {
        s
    }

    /// Sums the values.
    fn sum(&self, values: Vec<f64>) -> f64 {
        values.iter().sum()
    }
}

/// jsonrpsee's module with `add(a, b)` and `echo(s)`, each taking an array or
/// an object as jsonrpsee's own `#[rpc]` macro does (`is_object` picks the form).
pub(crate) fn jsonrpsee_module() -> RpcModule<()> {
    let mut module = RpcModule::new(());
    module
        .register_method("add", |params, _, _| {
            let (a, b): (i64, i64) = if params.is_object() {
                let AddNamed { a, b } = params.parse()?;
                (a, b)
            } else {
                params.parse()?
            };
            Ok::<_, ErrorObjectOwned>(a + b)
        })
        .expect("new method name");
    module
        .register_method("echo", |params, _, _| {
            let s: String = if params.is_object() {
                params.parse::<EchoNamedOwned>()?.s
            } else {
                params.one()?
            };
            Ok::<_, ErrorObjectOwned>(s)
        })
        .expect("new method name");
    module
        .register_method("echo_owned", |params, _, _| {
            let s: String = if params.is_object() {
                params.parse::<EchoNamedOwned>()?.s
            } else {
                params.one()?
            };
            Ok::<_, ErrorObjectOwned>(s)
        })
        .expect("new method name");
    module
        .register_method("sum", |params, _, _| {
            let values: Vec<f64> = if params.is_object() {
                params.parse::<SumNamed>()?.values
            } else {
                params.one()?
            };
            Ok::<_, ErrorObjectOwned>(values.iter().sum::<f64>())
        })
        .expect("new method name");
    module
}

/// Everything the measured calls need, built once.
pub(crate) struct Bench {
    router: Router,
    macro_router: Router,
    ctx: Context,
    module: RpcModule<()>,
    http: TowerService<Identity, Identity>,
    /// Kept alive so the service's stop handle never fires.
    _server_handle: ServerHandle,
    /// The request bodies, indexed like [`Case::ALL`], leaked once so that
    /// jsonrpsee's HTTP body can hold them without a copy per call (as `Bytes`
    /// from hyper would).
    bodies: [&'static str; Case::ALL.len()],
}

impl Bench {
    /// Builds the three servers and the request bodies.
    pub(crate) fn new() -> Self {
        let module = jsonrpsee_module();
        let (stop_handle, server_handle) = stop_channel();
        let http = Server::builder()
            .to_service_builder()
            .build(module.clone(), stop_handle);
        Self {
            router: our_router(),
            macro_router: MacroService.into_router(),
            ctx: Context::new(),
            module,
            http,
            _server_handle: server_handle,
            bodies: Case::ALL.map(|case| &*Box::leak(case.body().into_boxed_str())),
        }
    }

    /// The request body of a case.
    pub(crate) fn body(&self, case: Case) -> &'static str {
        self.bodies[Case::ALL
            .iter()
            .position(|c| *c == case)
            .expect("every case is listed")]
    }

    /// Answers `case` with `imp` and hands the response bytes to `with`.
    #[inline]
    pub(crate) fn run<R>(&mut self, imp: Impl, case: Case, with: impl FnOnce(&[u8]) -> R) -> R {
        let body = self.body(case);
        match (imp, case) {
            (Impl::Ours, _) => {
                let out = ready(self.router.handle(body.as_bytes(), &self.ctx));
                with(out.as_deref().unwrap_or_default())
            }
            (Impl::Macro, _) => {
                let out = ready(self.macro_router.handle(body.as_bytes(), &self.ctx));
                with(out.as_deref().unwrap_or_default())
            }
            (Impl::Floor, _) => {
                let out = floor::handle(body.as_bytes());
                with(out.as_deref().unwrap_or_default())
            }
            (Impl::Jsonrpsee, Case::Batch10) | (Impl::JsonrpseeHttp, _) => {
                self.jsonrpsee_http(body, with)
            }
            (Impl::Jsonrpsee, _) => {
                let (response, _subscriptions) = ready(self.module.raw_json_request(body, 1))
                    .expect("the body is a JSON-RPC request");
                with(response.get().as_bytes())
            }
        }
    }

    /// One POST through jsonrpsee's HTTP tower service, called in process.
    fn jsonrpsee_http<R>(&mut self, body: &'static str, with: impl FnOnce(&[u8]) -> R) -> R {
        let mut request = HttpRequest::new(HttpBody::from(body));
        *request.method_mut() = http::Method::POST;
        request.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        let response = ready(self.http.call(request)).expect("the HTTP service answers");
        assert_eq!(response.status(), http::StatusCode::OK);
        let bytes = ready(response.into_body().collect())
            .expect("the body is in memory")
            .to_bytes();
        with(&bytes)
    }

    /// Checks, once and outside any timing, that every implementation answers
    /// every case correctly; panics otherwise.
    pub(crate) fn check_all(&mut self) {
        for imp in Impl::ALL {
            for case in Case::ALL {
                let answer: Value = self.run(imp, case, |out| {
                    serde_json::from_slice(out).unwrap_or_else(|err| {
                        let text = String::from_utf8_lossy(out);
                        panic!(
                            "{}/{}: answer is not JSON ({err}): {:.200}",
                            case.name(),
                            imp.name(),
                            text
                        )
                    })
                });
                check(imp, case, &answer);
            }
        }
    }
}

/// At most 200 characters of some JSON, for failure messages.
fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(200) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text,
    }
}

/// Compares an answer with what the case expects.
fn check(imp: Impl, case: Case, answer: &Value) {
    let label = format!("{}/{}", case.name(), imp.name());
    let responses: Vec<&Value> = match (case, answer) {
        (Case::Batch10, Value::Array(items)) => items.iter().collect(),
        (Case::Batch10, other) => panic!("{label}: expected an array, got {}", short(other)),
        (_, single) => vec![single],
    };
    let expected = case.expected();
    assert_eq!(
        responses.len(),
        expected.len(),
        "{label}: wrong number of responses"
    );
    for (response, (id, result)) in responses.into_iter().zip(expected) {
        let text = short(response);
        let object = response
            .as_object()
            .unwrap_or_else(|| panic!("{label}: not an object: {text}"));
        let ok = object.get("jsonrpc") == Some(&Value::from("2.0"))
            && object.get("id") == Some(&id)
            && object.get("result") == Some(&result)
            && object.len() == 3;
        assert!(ok, "{label}: wrong answer {text}");
    }
}

pub(crate) mod floor;
