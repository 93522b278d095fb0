//! The listing methods of other JSON-RPC servers, each answering in the
//! shape its clients expect.

use serde_json::{json, Value};

use super::{Description, Listed};
use crate::listing::{MethodInfo, ParamInfo};

/// Which server's listing methods, and so which answer shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seed {
    PyJrpc,
    Aiohttp,
    XmlRpc,
}

/// The listing methods of another JSON-RPC server, served by
/// [`Router::serve_listing`](crate::Router::serve_listing) in the shapes
/// that server's clients expect. Every answer describes the router as it
/// is, the listing methods included.
///
/// | constructor | methods (default names) | answers |
/// |---|---|---|
/// | [`py_jrpc`](Self::py_jrpc) | `list_methods()` | every name, sorted: `["add", "list_methods", ...]` |
/// | | `method_help(method_name)` | the doc comment; `"Method [x] not found"` for an unknown name |
/// | | `method_signature(method_name)` | `{"add": ["a", "b"]}`: the param names; `{"x": "method/function not found"}` for an unknown name, `{"x": "Not a proper function/method"}` for a method with no listing |
/// | [`aiohttp`](Self::aiohttp) | `get_methods()` | every name, sorted |
/// | [`xml_rpc`](Self::xml_rpc) | `system.listMethods()` | every name, sorted |
/// | | `system.methodHelp(method_name)` | the doc comment; `""` for an unknown name |
/// | | `system.methodSignature(method_name)` | `[["int", "int", "int"]]`: one signature, its result type first, then each param's, by XML-RPC type name (`int`, `double`, `boolean`, `string`, `array`, `struct`, `nil`; another type by its Rust name); `"signatures not supported"` for an unknown name or a method with no listing |
///
/// The method names change with [`list_as`](Self::list_as),
/// [`help_as`](Self::help_as) and [`signature_as`](Self::signature_as)
/// (the last two only where the server has such a method). Help and
/// signature take the name by position or as `method_name`.
///
/// ```
/// use rpc_core::introspection::Listing;
/// use rpc_core::{rpc, Context};
///
/// struct Calculator;
///
/// #[rpc]
/// impl Calculator {
///     /// Adds two integers.
///     fn add(&self, a: i64, b: i64) -> i64 {
///         a + b
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut router = Calculator.into_router();
/// router.serve_listing(Listing::py_jrpc())?;
/// let call = |body: &'static str| router.handle(body.as_bytes(), &Context::empty());
/// assert_eq!(
///     call(r#"{"jsonrpc":"2.0","method":"method_signature","params":["add"],"id":1}"#).await.unwrap(),
///     br#"{"jsonrpc":"2.0","result":{"add":["a","b"]},"id":1}"#
/// );
/// assert_eq!(
///     call(r#"{"jsonrpc":"2.0","method":"method_help","params":["add"],"id":2}"#).await.unwrap(),
///     br#"{"jsonrpc":"2.0","result":"Adds two integers.","id":2}"#
/// );
/// # Ok::<(), rpc_core::RouterError>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Listing {
    seed: Seed,
    list: String,
    help: Option<String>,
    signature: Option<String>,
}

impl Listing {
    fn new(seed: Seed, list: &str, help: Option<&str>, signature: Option<&str>) -> Self {
        Self {
            seed,
            list: list.to_owned(),
            help: help.map(str::to_owned),
            signature: signature.map(str::to_owned),
        }
    }

    /// py-jrpc's `list_methods`, `method_help` and `method_signature`.
    pub fn py_jrpc() -> Self {
        Self::new(
            Seed::PyJrpc,
            "list_methods",
            Some("method_help"),
            Some("method_signature"),
        )
    }

    /// aiohttp-json-rpc's `get_methods`.
    pub fn aiohttp() -> Self {
        Self::new(Seed::Aiohttp, "get_methods", None, None)
    }

    /// The XML-RPC introspection methods that Python's XML-RPC server and
    /// jsonrpclib-pelix serve: `system.listMethods`, `system.methodHelp`
    /// and `system.methodSignature`.
    pub fn xml_rpc() -> Self {
        Self::new(
            Seed::XmlRpc,
            "system.listMethods",
            Some("system.methodHelp"),
            Some("system.methodSignature"),
        )
    }

    /// Serves the list of names as `name`.
    #[must_use]
    pub fn list_as(mut self, name: &str) -> Self {
        self.list = name.to_owned();
        self
    }

    /// Serves the help method as `name` (for a server that has one).
    #[must_use]
    pub fn help_as(mut self, name: &str) -> Self {
        if self.help.is_some() {
            self.help = Some(name.to_owned());
        }
        self
    }

    /// Serves the signature method as `name` (for a server that has one).
    #[must_use]
    pub fn signature_as(mut self, name: &str) -> Self {
        if self.signature.is_some() {
            self.signature = Some(name.to_owned());
        }
        self
    }

    pub(super) fn seed(&self) -> Seed {
        self.seed
    }

    pub(super) fn list_name(&self) -> &str {
        &self.list
    }

    pub(super) fn help_name(&self) -> Option<&str> {
        self.help.as_deref()
    }

    pub(super) fn signature_name(&self) -> Option<&str> {
        self.signature.as_deref()
    }
}

/// What a name of the table is, for help and signatures.
enum Found<'a> {
    Unknown,
    /// Served, with no listing entry.
    Undescribed,
    Described(&'a MethodInfo),
}

fn find<'a>(listed: &'a [Listed], name: &str) -> Found<'a> {
    let Ok(index) = listed.binary_search_by(|listed| (*listed.name).cmp(name)) else {
        return Found::Unknown;
    };
    match &listed[index].description {
        Some(Description::AliasOf(original)) => match find(listed, original) {
            Found::Unknown => Found::Undescribed,
            found => found,
        },
        Some(description) => description
            .info()
            .map_or(Found::Undescribed, Found::Described),
        None => Found::Undescribed,
    }
}

impl Seed {
    /// The help answer: py-jrpc's `SimpleTCPDispatcher.method_help` and
    /// Python's `SimpleXMLRPCDispatcher.system_methodHelp`.
    pub(super) fn help(self, listed: &[Listed], name: &str) -> Value {
        match (self, find(listed, name)) {
            (_, Found::Described(info)) => Value::from(info.docs),
            (Seed::PyJrpc, Found::Unknown) => Value::from(format!("Method [{name}] not found")),
            _ => Value::from(""),
        }
    }

    /// The signature answer: py-jrpc's `SimpleTCPDispatcher.method_signature`,
    /// and the XML-RPC introspection shape for `system.methodSignature`.
    pub(super) fn signature(self, listed: &[Listed], name: &str) -> Value {
        let found = find(listed, name);
        match self {
            Seed::PyJrpc => {
                let answer = match found {
                    Found::Described(info) => {
                        json!(info
                            .params
                            .iter()
                            .map(|param| param.name)
                            .collect::<Vec<_>>())
                    }
                    Found::Undescribed => json!("Not a proper function/method"),
                    Found::Unknown => json!("method/function not found"),
                };
                json!({ name: answer })
            }
            Seed::XmlRpc | Seed::Aiohttp => match found {
                Found::Described(info) => {
                    let returns = if info.subscription.is_some() {
                        "int"
                    } else {
                        xml_rpc_type(info.returns)
                    };
                    let signature: Vec<&str> = std::iter::once(returns)
                        .chain(info.params.iter().map(|param| xml_rpc_type(param.ty)))
                        .collect();
                    json!([signature])
                }
                _ => json!("signatures not supported"),
            },
        }
    }
}

/// The XML-RPC type name of a Rust type as written: `i64` → `int`,
/// `Vec<u8>` → `array`; a type it cannot tell keeps its Rust name.
fn xml_rpc_type(written: &str) -> &str {
    let ty = written.trim();
    let ty = ty.strip_prefix('&').map_or(ty, |rest| {
        // `&'a str` → `str`
        let rest = rest.trim_start();
        match rest.strip_prefix('\'') {
            Some(lifetime) => lifetime.split_once(' ').map_or(rest, |(_, ty)| ty),
            None => rest.strip_prefix("mut ").unwrap_or(rest),
        }
    });
    let (outer, inner) = match ty.split_once('<') {
        Some((outer, inner)) => (
            outer.rsplit("::").next().unwrap_or(outer),
            inner.strip_suffix('>'),
        ),
        None => (ty.rsplit("::").next().unwrap_or(ty), None),
    };
    match outer {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "u8" | "u16" | "u32" | "u64" | "u128"
        | "usize" => "int",
        "f32" | "f64" => "double",
        "bool" => "boolean",
        "String" | "str" | "char" | "Cow" => "string",
        "()" => "nil",
        "Vec" | "VecDeque" | "HashSet" | "BTreeSet" => "array",
        "HashMap" | "BTreeMap" => "struct",
        "Option" | "Box" | "Arc" | "Rc" => inner.map_or(written, xml_rpc_type),
        _ if outer.starts_with('[') || outer.starts_with('(') => "array",
        _ => written,
    }
}

/// Which built-in topic method a name is ([`Topics::methods`](crate::Topics::methods)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TopicRole {
    Subscribe,
    Unsubscribe,
    List,
    Subscriptions,
}

impl TopicRole {
    /// The listing entry of the method.
    pub(crate) fn info(self) -> MethodInfo {
        const TOPICS: &[ParamInfo] = &[ParamInfo::new("topics", "Vec<String>", false)];
        let (name, params, docs) = match self {
            Self::Subscribe => (
                "subscribe",
                TOPICS,
                "Subscribes this connection to topics (a name or a list of names); answers its subscriptions.\n\nEach message published to a topic then arrives as a notification whose method is the topic's name.",
            ),
            Self::Unsubscribe => (
                "unsubscribe",
                TOPICS,
                "Unsubscribes this connection from topics; answers the subscriptions left.",
            ),
            Self::List => ("get_topics", &[][..], "Every topic declared."),
            Self::Subscriptions => (
                "get_subscriptions",
                &[][..],
                "The topics this connection subscribes to.",
            ),
        };
        MethodInfo::new(name, &[], params, "Vec<String>", false, false, docs)
    }

    /// The key of the document's `x-topics` object.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::Subscribe => "subscribe",
            Self::Unsubscribe => "unsubscribe",
            Self::List => "list",
            Self::Subscriptions => "subscriptions",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::xml_rpc_type;

    #[test]
    fn rust_types_read_as_xml_rpc_types() {
        for (rust, xml) in [
            ("i64", "int"),
            ("u8", "int"),
            ("f64", "double"),
            ("bool", "boolean"),
            ("String", "string"),
            ("&str", "string"),
            ("&'a str", "string"),
            ("std::borrow::Cow<'a, str>", "string"),
            ("Vec<f64>", "array"),
            ("&[u8]", "array"),
            ("(&'static str, i64)", "array"),
            ("[u8; 4]", "array"),
            ("Option<i64>", "int"),
            ("Box<f32>", "double"),
            ("BTreeMap<String, u8>", "struct"),
            ("()", "nil"),
            ("Point", "Point"),
            ("Box<RawValue>", "RawValue"),
        ] {
            assert_eq!(xml_rpc_type(rust), xml, "{rust}");
        }
    }
}
