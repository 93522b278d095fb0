//! A router that describes itself: `rpc.discover` (an OpenRPC document)
//! and the listing methods clients of other JSON-RPC servers call.
//!
//! | file | job |
//! |---|---|
//! | `mod.rs` | what the router knows of each method (`Description`), the introspection methods it serves, kept in step with its table |
//! | `openrpc.rs` | [`ServiceInfo`] and the OpenRPC document |
//! | `seeds.rs` | [`Listing`]: py-jrpc's, aiohttp-json-rpc's and the XML-RPC introspection methods, each in its own answer shape |
//!
//! Nothing here runs per call of an ordinary method: the introspection
//! methods are ordinary entries of the table, and their answers are built
//! on their first call and kept until the table changes.

mod openrpc;
mod seeds;

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use serde::ser::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::context::Context;
use crate::error::Error;
use crate::handler::Method;
use crate::listing::{MethodInfo, ParamInfo};
use crate::params::Params;
use crate::router::{Router, RouterError};

pub use openrpc::ServiceInfo;
pub use seeds::Listing;
pub(crate) use seeds::TopicRole;

/// The name the OpenRPC specification gives its discovery method.
pub const DISCOVER: &str = "rpc.discover";

/// What a router knows of one of its names beyond the handler.
#[derive(Debug, Clone)]
pub(crate) enum Description {
    /// A method and its listing entry (its `name` may differ from the
    /// served one, after [`Router::nest`]).
    Method(MethodInfo),
    /// A second name of the method so named.
    AliasOf(Box<str>),
    /// The method that ends the subscriptions of the method so named.
    Unsubscribe { of: Box<str> },
    /// One of the built-in topic methods ([`Topics::methods`](crate::Topics::methods)).
    Topic { role: TopicRole, info: MethodInfo },
}

impl Description {
    /// The description under `rename`d names (for [`Router::nest`]).
    pub(crate) fn renamed(self, rename: impl Fn(&str) -> String) -> Self {
        match self {
            Self::AliasOf(name) => Self::AliasOf(rename(&name).into()),
            Self::Unsubscribe { of } => Self::Unsubscribe {
                of: rename(&of).into(),
            },
            other => other,
        }
    }

    /// The listing entry, for a method described by one.
    pub(crate) fn info(&self) -> Option<&MethodInfo> {
        match self {
            Self::Method(info) | Self::Topic { info, .. } => Some(info),
            _ => None,
        }
    }
}

/// One name of the table, as introspection sees it.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    pub(crate) name: Box<str>,
    pub(crate) description: Option<Description>,
}

/// Which introspection methods a router serves.
#[derive(Debug, Clone, Default)]
pub(crate) struct IntrospectionConfig {
    discover: Option<ServiceInfo>,
    listings: Vec<Listing>,
}

/// What one introspection method answers.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Discover,
    List,
    Help(seeds::Seed),
    Signature(seeds::Seed),
}

impl IntrospectionConfig {
    /// Each introspection method: its name and what it answers.
    fn entries(&self) -> Vec<(&str, Answer)> {
        let discover = self.discover.as_ref().map(|_| (DISCOVER, Answer::Discover));
        let listings = self.listings.iter().flat_map(|listing| {
            let seed = listing.seed();
            [
                Some((listing.list_name(), Answer::List)),
                listing.help_name().map(|name| (name, Answer::Help(seed))),
                listing
                    .signature_name()
                    .map(|name| (name, Answer::Signature(seed))),
            ]
            .into_iter()
            .flatten()
        });
        discover.into_iter().chain(listings).collect()
    }

    /// The names of the introspection methods.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.entries().into_iter().map(|(name, _)| name)
    }

    /// Whether an introspection method has this name.
    pub(crate) fn serves(&self, name: &str) -> bool {
        self.names().any(|served| served == name)
    }

    /// Adds the methods of `other` (whose names are free here).
    pub(crate) fn absorb(&mut self, other: IntrospectionConfig) {
        if self.discover.is_none() {
            self.discover = other.discover;
        }
        self.listings.extend(other.listings);
    }
}

/// The introspection methods' shared state: the table as they describe
/// it, and their answers, built on the first call.
pub(crate) struct Introspection {
    config: IntrospectionConfig,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    listed: Arc<[Listed]>,
    built: Option<Arc<Built>>,
}

/// The answers that do not depend on params, built once per table.
struct Built {
    document: Option<Arc<RawValue>>,
    names: Arc<RawValue>,
}

impl fmt::Debug for Introspection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.config.names()).finish()
    }
}

impl Introspection {
    pub(crate) fn config(&self) -> &IntrospectionConfig {
        &self.config
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn relist(&self, listed: Vec<Listed>) {
        let mut state = self.state();
        state.listed = listed.into();
        state.built = None;
    }

    /// The table as described, and its param-free answers.
    fn built(&self) -> (Arc<[Listed]>, Arc<Built>) {
        let mut state = self.state();
        let listed = Arc::clone(&state.listed);
        if let Some(built) = &state.built {
            return (listed, Arc::clone(built));
        }
        let names: Vec<&str> = listed.iter().map(|listed| &*listed.name).collect();
        let document = self
            .config
            .discover
            .as_ref()
            .map(|info| raw(&openrpc::document(info, &listed)));
        let built = Arc::new(Built {
            document,
            names: raw(&names),
        });
        state.built = Some(Arc::clone(&built));
        (listed, built)
    }

    fn answer(&self, answer: Answer, params: Params<'_>) -> Result<Answered, Error> {
        match answer {
            Answer::Discover => {
                params.decode::<()>(&[] as &[&str])?;
                let (_, built) = self.built();
                let document = built
                    .document
                    .as_ref()
                    .expect("served only when configured");
                Ok(Answered::Raw(Arc::clone(document)))
            }
            Answer::List => {
                params.decode::<()>(&[] as &[&str])?;
                Ok(Answered::Raw(Arc::clone(&self.built().1.names)))
            }
            Answer::Help(seed) => {
                let (name,): (String,) = params.decode(&["method_name"])?;
                let (listed, _) = self.built();
                Ok(Answered::Value(seed.help(&listed, &name)))
            }
            Answer::Signature(seed) => {
                let (name,): (String,) = params.decode(&["method_name"])?;
                let (listed, _) = self.built();
                Ok(Answered::Value(seed.signature(&listed, &name)))
            }
        }
    }
}

fn raw(value: &impl Serialize) -> Arc<RawValue> {
    let text = serde_json::to_string(value).expect("introspection answers serialize");
    Arc::from(RawValue::from_string(text).expect("serde_json writes valid JSON"))
}

/// An introspection answer: bytes built once, or a value made for the call.
enum Answered {
    Raw(Arc<RawValue>),
    Value(serde_json::Value),
}

impl Serialize for Answered {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Raw(raw) => raw.serialize(serializer),
            Self::Value(value) => value.serialize(serializer),
        }
    }
}

/// The listing entry of an introspection method, for the listings and the document.
fn answer_info(answer: Answer) -> MethodInfo {
    const METHOD_NAME: &[ParamInfo] =
        &[ParamInfo::new("method_name", "String", false)
            .with_schema(crate::__type_schema!(String))];
    let list = crate::__type_schema!(Vec<String>);
    match answer {
        Answer::Discover => MethodInfo::new(
            DISCOVER,
            &[],
            &[],
            "OpenRPC document",
            false,
            false,
            "The OpenRPC document of this service.",
        ),
        Answer::List => MethodInfo::new(
            "list",
            &[],
            &[],
            "Vec<String>",
            false,
            false,
            "The name of every method served, sorted.",
        )
        .with_result_schema(list),
        Answer::Help(_) => MethodInfo::new(
            "help",
            &[],
            METHOD_NAME,
            "String",
            false,
            false,
            "The documentation of the method `method_name`.",
        )
        .with_result_schema(crate::__type_schema!(String)),
        Answer::Signature(_) => MethodInfo::new(
            "signature",
            &[],
            METHOD_NAME,
            "signature",
            false,
            false,
            "The signature of the method `method_name`, in the shape its clients expect.",
        ),
    }
}

/// Introspection: what the router knows of its methods, and the methods
/// that tell it.
impl Router {
    /// Describes the method `name` with `info`, for `rpc.discover` and the
    /// listing methods: what `#[rpc]` does for its own methods, for a
    /// method added by hand. The served name stays `name` whatever
    /// `info.name` says; its aliases are the router's.
    ///
    /// ```
    /// use rpc_core::{Context, Error, MethodInfo, ParamInfo, Params, Router};
    ///
    /// const PARAMS: &[ParamInfo] = &[ParamInfo::new("a", "i64", false), ParamInfo::new("b", "i64", false)];
    /// const ADD: MethodInfo = MethodInfo::new("add", &[], PARAMS, "i64", false, false, "Adds two integers.");
    ///
    /// let mut router = Router::new();
    /// router.method("add", |params: Params<'_>, _: &Context| {
    ///     let (a, b): (i64, i64) = params.decode(&["a", "b"])?;
    ///     Ok::<_, Error>(a + b)
    /// })?;
    /// router.describe("add", ADD)?;
    /// assert!(router.describe("sub", ADD).unwrap_err().is_not_registered());
    /// # Ok::<(), rpc_core::RouterError>(())
    /// ```
    pub fn describe(&mut self, name: &str, info: MethodInfo) -> Result<&mut Self, RouterError> {
        if !self.methods.contains_key(name) {
            return Err(RouterError::not_registered(name));
        }
        self.descriptions
            .insert(name.into(), Description::Method(info));
        self.relist();
        Ok(self)
    }

    /// Serves `rpc.discover`: the OpenRPC 1.3 document of every method of
    /// this router (see [`ServiceInfo`] for what it holds).
    ///
    /// The document always describes the router as it is: methods added,
    /// merged or aliased later are in it. It is built on the first call and
    /// answered from the same bytes until the router changes. Nothing else
    /// costs anything per call.
    ///
    /// ```
    /// use rpc_core::introspection::ServiceInfo;
    /// use rpc_core::{Context, Error, Params, Router};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut router = Router::new();
    /// router.serve_discover(ServiceInfo::new("Pinger", "1.0.0"))?;
    /// router.method("ping", |_: Params<'_>, _: &Context| Ok::<_, Error>("pong"))?;
    ///
    /// let answer = router.handle(br#"{"jsonrpc":"2.0","method":"rpc.discover","id":1}"#, &Context::new()).await.unwrap();
    /// let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap();
    /// assert_eq!(answer["result"]["info"]["title"], "Pinger");
    /// assert_eq!(answer["result"]["methods"][0]["name"], "ping");
    /// # Ok::<(), rpc_core::RouterError>(())
    /// # }).unwrap();
    /// ```
    pub fn serve_discover(&mut self, info: ServiceInfo) -> Result<&mut Self, RouterError> {
        let mut config = self.introspection_config();
        if config.discover.is_some() || self.methods.contains_key(DISCOVER) {
            return Err(RouterError::duplicate(DISCOVER));
        }
        config.discover = Some(info);
        self.install_introspection(config);
        Ok(self)
    }

    /// Serves the listing methods of another JSON-RPC server, answering in
    /// the shape its clients expect (see [`Listing`]). Like `rpc.discover`,
    /// they describe the router as it is, and cost nothing per call of
    /// another method.
    ///
    /// ```
    /// use rpc_core::introspection::Listing;
    /// use rpc_core::Router;
    ///
    /// let mut router = Router::new();
    /// router.serve_listing(Listing::xml_rpc())?;
    /// router.serve_listing(Listing::aiohttp().list_as("methods"))?;
    /// assert_eq!(
    ///     router.method_names(),
    ///     ["methods", "system.listMethods", "system.methodHelp", "system.methodSignature"]
    /// );
    /// # Ok::<(), rpc_core::RouterError>(())
    /// ```
    pub fn serve_listing(&mut self, listing: Listing) -> Result<&mut Self, RouterError> {
        let mut config = self.introspection_config();
        let mut added = IntrospectionConfig::default();
        added.listings.push(listing);
        if let Some(name) = added
            .names()
            .find(|name| self.methods.contains_key(*name) || config.serves(name))
        {
            return Err(RouterError::duplicate(name));
        }
        config.absorb(added);
        self.install_introspection(config);
        Ok(self)
    }

    /// Lists `url` among the servers of the OpenRPC document when the
    /// [`ServiceInfo`] names none: what a transport that knows where it
    /// serves the router does before it starts. Nothing happens without
    /// [`serve_discover`](Self::serve_discover).
    pub fn set_default_server_url(&mut self, url: &str) -> &mut Self {
        let mut config = self.introspection_config();
        if let Some(info) = &mut config.discover {
            if info.servers.is_empty() {
                info.servers.push(url.to_owned());
                self.install_introspection(config);
            }
        }
        self
    }

    /// Whether this router serves `rpc.discover`.
    pub fn serves_discover(&self) -> bool {
        self.introspection
            .as_ref()
            .is_some_and(|introspection| introspection.config.discover.is_some())
    }

    fn introspection_config(&self) -> IntrospectionConfig {
        self.introspection
            .as_ref()
            .map(|introspection| introspection.config.clone())
            .unwrap_or_default()
    }

    /// Serves the introspection methods of `config`, bound to this router.
    pub(crate) fn install_introspection(&mut self, config: IntrospectionConfig) {
        let introspection = Arc::new(Introspection {
            config,
            state: Mutex::default(),
        });
        for (name, answer) in introspection.config.entries() {
            let shared = Arc::clone(&introspection);
            let method =
                Method::sync(move |params: Params<'_>, _: &Context| shared.answer(answer, params))
                    .ignores_context();
            self.methods.insert(name.into(), method);
            self.descriptions
                .insert(name.into(), Description::Method(answer_info(answer)));
        }
        self.introspection = Some(introspection);
        self.relist();
    }

    /// Stops serving the introspection methods; returns what they were.
    pub(crate) fn take_introspection(&mut self) -> Option<IntrospectionConfig> {
        let introspection = self.introspection.take()?;
        for name in introspection.config.names() {
            self.methods.remove(name);
            self.descriptions.remove(name);
        }
        Some(introspection.config.clone())
    }

    /// Hands the introspection methods the table as it is now.
    pub(crate) fn relist(&mut self) {
        let Some(introspection) = &self.introspection else {
            return;
        };
        let mut listed: Vec<Listed> = self
            .methods
            .keys()
            .map(|name| Listed {
                name: name.clone(),
                description: self.descriptions.get(name).cloned(),
            })
            .collect();
        listed.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        introspection.relist(listed);
    }

    /// Records the listing of an `#[rpc]` service whose methods were just added.
    pub(crate) fn describe_listing(&mut self, methods: &'static [MethodInfo]) {
        for info in methods {
            self.descriptions
                .insert(info.name.into(), Description::Method(*info));
            for alias in info.aliases {
                self.descriptions
                    .insert((*alias).into(), Description::AliasOf(info.name.into()));
            }
            if let Some(subscription) = info.subscription {
                if !subscription.unsubscribe.is_empty() {
                    self.descriptions.insert(
                        subscription.unsubscribe.into(),
                        Description::Unsubscribe {
                            of: info.name.into(),
                        },
                    );
                }
            }
        }
        self.relist();
    }

    /// Records the role of a built-in topic method.
    pub(crate) fn describe_topic(&mut self, name: &str, role: TopicRole) {
        self.descriptions.insert(
            name.into(),
            Description::Topic {
                role,
                info: role.info(),
            },
        );
        self.relist();
    }
}
