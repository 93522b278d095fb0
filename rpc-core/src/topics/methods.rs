//! The methods clients call to subscribe: aiohttp-json-rpc's `subscribe`,
//! `unsubscribe`, `get_topics` and `get_subscriptions`.

use serde_json::value::RawValue;

use super::Topics;
use crate::context::Context;
use crate::error::Error;
use crate::handler::Method;
use crate::introspection::TopicRole;
use crate::params::Params;
use crate::router::{Router, RouterError};

/// Builds the router of the built-in topic methods: a one-liner to merge
/// into a service's router.
///
/// | method (default name) | params | answer |
/// |---|---|---|
/// | `subscribe` | topic names: `["news", "private"]`, `{"topics": "news"}` or `{"topics": [...]}` | the connection's subscriptions after the call |
/// | `unsubscribe` | the same | the subscriptions left |
/// | `get_topics` | none | every declared topic |
/// | `get_subscriptions` | none | the connection's subscriptions |
///
/// Topics a connection may not receive (undeclared, or refused by their
/// guard) are left out of a subscribe, as aiohttp-json-rpc leaves them.
///
/// With a [broker](Topics::with_broker) set before the router is built,
/// `subscribe` answers once the broker receives the topics
/// ([`Topics::ready`]), so that the client misses nothing published after
/// its answer, in any process.
///
/// aiohttp-json-rpc's own client sends the topic as a bare string
/// (`"params": "news"`), which the specification forbids; turn on
/// [`accept_bare_params`](Self::accept_bare_params) to serve it.
///
/// ```
/// use rpc_core::{Router, Topics};
///
/// let topics = Topics::new().topic("news");
/// let mut router = Router::new();
/// router.merge(topics.methods().accept_bare_params(true).router()?)?;
/// assert!(router.contains("subscribe") && router.contains("get_topics"));
/// # Ok::<(), rpc_core::RouterError>(())
/// ```
#[derive(Debug, Clone)]
pub struct TopicMethods {
    topics: Topics,
    subscribe: String,
    unsubscribe: String,
    get_topics: String,
    get_subscriptions: String,
    bare_params: bool,
}

impl TopicMethods {
    pub(super) fn new(topics: Topics) -> Self {
        Self {
            topics,
            subscribe: "subscribe".to_owned(),
            unsubscribe: "unsubscribe".to_owned(),
            get_topics: "get_topics".to_owned(),
            get_subscriptions: "get_subscriptions".to_owned(),
            bare_params: false,
        }
    }

    /// Renames the four methods (`subscribe`, `unsubscribe`, `get_topics`,
    /// `get_subscriptions` by default).
    #[must_use]
    pub fn names(
        mut self,
        subscribe: &str,
        unsubscribe: &str,
        get_topics: &str,
        get_subscriptions: &str,
    ) -> Self {
        self.subscribe = subscribe.to_owned();
        self.unsubscribe = unsubscribe.to_owned();
        self.get_topics = get_topics.to_owned();
        self.get_subscriptions = get_subscriptions.to_owned();
        self
    }

    /// Lets `subscribe` and `unsubscribe` take a bare topic name as their
    /// params (non-standard; off by default): for aiohttp-json-rpc's client.
    #[must_use]
    pub fn accept_bare_params(mut self, accept: bool) -> Self {
        self.bare_params = accept;
        self
    }

    /// The router of the four methods.
    pub fn router(self) -> Result<Router, RouterError> {
        let mut router = Router::new();
        let topics = self.topics.clone();
        let subscribe = if topics.has_broker() {
            // Answers once the broker's subscription is in place: a client
            // that has its answer misses nothing published after, anywhere.
            Method::asynchronous(move |params: Params<'_>, ctx: &Context| {
                let topics = topics.clone();
                Box::pin(async move {
                    let names = topic_names(params)?;
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    let subscribed = topics.subscribe(ctx, &names)?;
                    topics.ready(&names).await;
                    Ok::<_, Error>(subscribed)
                })
            })
        } else {
            Method::sync(move |params: Params<'_>, ctx: &Context| {
                let names = topic_names(params)?;
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                topics.subscribe(ctx, &names)
            })
        };
        router.add(&self.subscribe, subscribe)?;
        let topics = self.topics.clone();
        router.add(
            &self.unsubscribe,
            Method::sync(move |params: Params<'_>, ctx: &Context| {
                let names = topic_names(params)?;
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                topics.unsubscribe(ctx, &names)
            }),
        )?;
        let topics = self.topics.clone();
        router.add(
            &self.get_topics,
            Method::sync(move |params: Params<'_>, _: &Context| {
                params.decode::<()>(&[] as &[&str])?;
                Ok::<_, Error>(topics.names())
            })
            .ignores_context(),
        )?;
        let topics = self.topics;
        router.add(
            &self.get_subscriptions,
            Method::sync(move |params: Params<'_>, ctx: &Context| {
                params.decode::<()>(&[] as &[&str])?;
                Ok::<_, Error>(topics.subscriptions(ctx))
            }),
        )?;
        for (name, role) in [
            (&self.subscribe, TopicRole::Subscribe),
            (&self.unsubscribe, TopicRole::Unsubscribe),
            (&self.get_topics, TopicRole::List),
            (&self.get_subscriptions, TopicRole::Subscriptions),
        ] {
            router.describe_topic(name, role);
        }
        if self.bare_params {
            router.accept_bare_params([self.subscribe, self.unsubscribe]);
        }
        Ok(router)
    }
}

/// The topic names of `subscribe`'s params, in any of the forms it takes.
fn topic_names(params: Params<'_>) -> Result<Vec<String>, Error> {
    let text = params.text().unwrap_or("[]");
    let refused = || {
        Error::invalid_params("Invalid params: `topics` must be a topic name or an array of them")
    };
    let value: &RawValue = serde_json::from_str(text).map_err(|_| refused())?;
    let names: Names = match text.as_bytes().first() {
        Some(b'{') => {
            let (topics,): (Names,) = params.decode(&["topics"])?;
            topics
        }
        _ => serde_json::from_str(value.get()).map_err(|_| refused())?,
    };
    Ok(names.0)
}

/// One topic name, or a list (of names or lists, flattened).
struct Names(Vec<String>);

impl<'de> serde::Deserialize<'de> for Names {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Names;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a topic name or an array of them")
            }
            fn visit_str<E>(self, name: &str) -> Result<Names, E> {
                Ok(Names(vec![name.to_owned()]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Names, A::Error> {
                let mut names = Vec::new();
                while let Some(Names(more)) = seq.next_element()? {
                    names.extend(more);
                }
                Ok(Names(names))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}
