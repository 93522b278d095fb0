//! The method table.

use std::fmt;

use rustc_hash::FxHashMap;
use serde::Serialize;

use std::sync::Arc;

use crate::context::Context;
use crate::error::Error;
use crate::handler::{BoxFuture, Method};
use crate::introspection::{Description, Introspection};
use crate::limits::Limits;
use crate::observer::Observer;
use crate::params::Params;

/// What separates a namespace from a method name: `math` + `add` is `math.add`.
pub const NAMESPACE_SEPARATOR: char = '.';

/// The prefix the specification reserves for system methods; user methods may not use it.
pub const RESERVED_PREFIX: &str = "rpc.";

/// The method table a server dispatches on.
///
/// Methods are added by name; a name (or alias) can be taken only once, and
/// the `rpc.` prefix is refused, so every mistake shows up as an error where
/// the router is built, never as a silently shadowed method. Routers merge
/// and nest under namespaces. Once built, a router is read-only and shared
/// (`Arc<Router>`) by every connection: dispatch takes no lock.
///
/// ```
/// use rpc_core::{Context, Error, Params, Router};
///
/// # fn main() -> Result<(), rpc_core::RouterError> {
/// let mut math = Router::new();
/// math.method("add", |params: Params<'_>, _: &Context| {
///     let (a, b): (i64, i64) = params.decode(&["a", "b"])?;
///     Ok::<_, Error>(a + b)
/// })?;
/// math.alias("plus", "add")?;
///
/// let mut router = Router::new();
/// router.nest("math", math)?;
/// assert_eq!(router.method_names(), ["math.add", "math.plus"]);
///
/// let response = futures_executor_block_on(router.handle(
///     br#"{"jsonrpc":"2.0","method":"math.plus","params":[1,2],"id":1}"#,
///     &Context::new(),
/// ));
/// assert_eq!(response.unwrap(), br#"{"jsonrpc":"2.0","result":3,"id":1}"#);
/// # Ok(())
/// # }
/// # fn futures_executor_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
pub struct Router {
    pub(crate) methods: FxHashMap<Box<str>, Method>,
    pub(crate) limits: Limits,
    pub(crate) observer: Option<Arc<dyn Observer>>,
    /// Methods that accept a bare value as `params` (non-standard; empty unless asked).
    pub(crate) bare_params: Arc<[Box<str>]>,
    /// What is known of each method beyond its handler (`#[rpc]` listings,
    /// [`describe`](Self::describe)); read only by introspection, never per call.
    pub(crate) descriptions: FxHashMap<Box<str>, Description>,
    /// The introspection methods served (`rpc.discover`, the listing
    /// methods), kept in step with the table; `None` unless asked for.
    pub(crate) introspection: Option<Arc<Introspection>>,
}

impl Default for Router {
    fn default() -> Self {
        Self {
            methods: FxHashMap::default(),
            limits: Limits::default(),
            observer: None,
            bare_params: Arc::new([]),
            descriptions: FxHashMap::default(),
            introspection: None,
        }
    }
}

impl Clone for Router {
    /// A copy whose introspection methods, if any, describe the copy, so
    /// that changing one router never changes what the other answers.
    fn clone(&self) -> Self {
        let mut clone = Self {
            methods: self.methods.clone(),
            limits: self.limits,
            observer: self.observer.clone(),
            bare_params: Arc::clone(&self.bare_params),
            descriptions: self.descriptions.clone(),
            introspection: None,
        };
        if let Some(introspection) = &self.introspection {
            clone.install_introspection(introspection.config().clone());
        }
        clone
    }
}

impl Router {
    /// An empty router with default [`Limits`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Lets `methods` take a bare value as `params` (`"params": "news"`),
    /// which the specification forbids (it allows only an array or an
    /// object): for clients that send one, such as aiohttp-json-rpc's for
    /// its `subscribe` and `unsubscribe`. The method then sees the value as
    /// [`Params::text`]. Off for every method unless named here; replaces
    /// any earlier list.
    ///
    /// ```
    /// use rpc_core::{Context, Error, Params, Router};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let mut router = Router::new();
    /// router.method("echo", |params: Params<'_>, _: &Context| Ok::<_, Error>(params.text().unwrap_or("").to_owned())).unwrap();
    /// let bare = br#"{"jsonrpc":"2.0","method":"echo","params":"news","id":1}"#;
    /// let refused = router.handle(bare, &Context::new()).await.unwrap();
    /// assert!(String::from_utf8(refused).unwrap().contains("-32600"));
    /// router.accept_bare_params(["echo"]);
    /// let answer = router.handle(bare, &Context::new()).await.unwrap();
    /// assert_eq!(answer, br#"{"jsonrpc":"2.0","result":"\"news\"","id":1}"#);
    /// # });
    /// ```
    pub fn accept_bare_params(
        &mut self,
        methods: impl IntoIterator<Item = impl Into<String>>,
    ) -> &mut Self {
        self.bare_params = methods
            .into_iter()
            .map(|method| method.into().into_boxed_str())
            .collect();
        self
    }

    /// Replaces the limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Replaces the limits in place.
    pub fn set_limits(&mut self, limits: Limits) -> &mut Self {
        self.limits = limits;
        self
    }

    /// Reports every method call to `observer` (for statistics); replaces any
    /// previous one (read it first with [`observer`](Self::observer) to keep it
    /// informed too).
    pub fn set_observer(&mut self, observer: Arc<dyn Observer>) -> &mut Self {
        self.observer = Some(observer);
        self
    }

    /// The observer set with [`set_observer`](Self::set_observer), if any.
    pub fn observer(&self) -> Option<&Arc<dyn Observer>> {
        self.observer.as_ref()
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Whether any method may read its [`Context`]. When none does (every
    /// one [ignores it](Method::ignores_context), as `#[rpc]` methods without
    /// a context parameter do), a transport may pass [`Context::empty`]
    /// instead of building a context per message.
    ///
    /// ```
    /// use rpc_core::{Context, Error, Method, Params, Router};
    ///
    /// # fn main() -> Result<(), rpc_core::RouterError> {
    /// let mut router = Router::new();
    /// router.add("ping", Method::sync(|_: Params<'_>, _: &Context| Ok::<_, Error>("pong")).ignores_context())?;
    /// assert!(!router.reads_context());
    /// router.method("peer", |_: Params<'_>, ctx: &Context| Ok::<_, Error>(ctx.peer_addr()))?;
    /// assert!(router.reads_context());
    /// # Ok(())
    /// # }
    /// ```
    pub fn reads_context(&self) -> bool {
        self.methods.values().any(|method| method.reads_context)
    }

    /// Adds a method under `name`.
    pub fn add(
        &mut self,
        name: impl Into<String>,
        method: Method,
    ) -> Result<&mut Self, RouterError> {
        let name = name.into();
        check_name(&name)?;
        self.insert(name, method)
    }

    /// Adds a synchronous method; see [`Method::sync`]. It is taken to read
    /// its context; one that does not can be added as
    /// `add(name, Method::sync(f).ignores_context())`, so that the router
    /// may still need none (see [`reads_context`](Self::reads_context)).
    pub fn method<F, T, E>(
        &mut self,
        name: impl Into<String>,
        f: F,
    ) -> Result<&mut Self, RouterError>
    where
        F: Fn(Params<'_>, &Context) -> Result<T, E> + Send + Sync + 'static,
        T: Serialize + 'static,
        E: Into<Error> + 'static,
    {
        self.add(name, Method::sync(f))
    }

    /// Adds an asynchronous method; see [`Method::asynchronous`]. Like
    /// [`method`](Self::method), it is taken to read its context.
    pub fn async_method<F, T, E>(
        &mut self,
        name: impl Into<String>,
        f: F,
    ) -> Result<&mut Self, RouterError>
    where
        F: for<'a> Fn(Params<'a>, &'a Context) -> BoxFuture<'a, Result<T, E>>
            + Send
            + Sync
            + 'static,
        T: Serialize + 'static,
        E: Into<Error> + 'static,
    {
        self.add(name, Method::asynchronous(f))
    }

    /// Adds a method that runs on the blocking pool; see [`Method::blocking`].
    pub fn blocking_method<F, T, E>(
        &mut self,
        name: impl Into<String>,
        f: F,
    ) -> Result<&mut Self, RouterError>
    where
        F: Fn(Params<'_>) -> Result<T, E> + Send + Sync + 'static,
        T: Serialize + Send + 'static,
        E: Into<Error> + Send + 'static,
    {
        self.add(name, Method::blocking(f))
    }

    /// Makes `alias` a second name for the method `target`.
    pub fn alias(
        &mut self,
        alias: impl Into<String>,
        target: &str,
    ) -> Result<&mut Self, RouterError> {
        let alias = alias.into();
        check_name(&alias)?;
        let method = self.methods.get(target).cloned().ok_or_else(|| {
            RouterError::new(ErrorKind::UnknownTarget {
                alias: alias.clone(),
                target: target.to_owned(),
            })
        })?;
        // An alias of an alias names the method itself.
        let method_name = match self.descriptions.get(target) {
            Some(Description::AliasOf(original)) => original.clone(),
            _ => target.into(),
        };
        self.insert(alias.clone(), method)?;
        self.descriptions
            .insert(alias.into_boxed_str(), Description::AliasOf(method_name));
        self.relist();
        Ok(self)
    }

    /// Moves every method of `other` into this router. Nothing is moved if any
    /// name is already taken.
    ///
    /// The introspection methods of `other` ([`serve_discover`](Self::serve_discover),
    /// [`serve_listing`](Self::serve_listing)) come along and, like this
    /// router's own, describe the merged table.
    pub fn merge(&mut self, mut other: Router) -> Result<&mut Self, RouterError> {
        let adopted = other.take_introspection();
        if let Some(adopted) = &adopted {
            let own = self.introspection.as_ref().map(|own| own.config());
            let taken = adopted.names().find(|name| {
                self.methods.contains_key(*name) || own.is_some_and(|own| own.serves(name))
            });
            if let Some(name) = taken {
                return Err(RouterError::duplicate(name));
            }
        }
        self.merge_renamed(other, |name| name.to_owned())?;
        if let Some(adopted) = adopted {
            let mut config = self
                .introspection
                .as_ref()
                .map(|own| own.config().clone())
                .unwrap_or_default();
            config.absorb(adopted);
            self.install_introspection(config);
        }
        Ok(self)
    }

    /// Moves every method of `other` into this router under `namespace`:
    /// `add` becomes `namespace.add`. Nothing is moved if any name is taken.
    /// The introspection methods of `other` stay behind: describe the outer
    /// router instead.
    pub fn nest(&mut self, namespace: &str, mut other: Router) -> Result<&mut Self, RouterError> {
        if namespace.is_empty() {
            return Err(RouterError::new(ErrorKind::EmptyName));
        }
        other.take_introspection();
        self.merge_renamed(other, |name| {
            format!("{namespace}{NAMESPACE_SEPARATOR}{name}")
        })
    }

    fn merge_renamed(
        &mut self,
        other: Router,
        rename: impl Fn(&str) -> String,
    ) -> Result<&mut Self, RouterError> {
        let bare_params: Vec<Box<str>> = other
            .bare_params
            .iter()
            .map(|name| rename(name).into_boxed_str())
            .collect();
        let renamed: Vec<(String, Method)> = other
            .methods
            .into_iter()
            .map(|(name, method)| (rename(&name), method))
            .collect();
        let descriptions: Vec<(Box<str>, Description)> = other
            .descriptions
            .into_iter()
            .map(|(name, description)| {
                (rename(&name).into_boxed_str(), description.renamed(&rename))
            })
            .collect();
        for (name, _) in &renamed {
            check_name(name)?;
            if self.methods.contains_key(name.as_str()) {
                return Err(RouterError::new(ErrorKind::Duplicate(name.clone())));
            }
        }
        self.methods.extend(
            renamed
                .into_iter()
                .map(|(name, method)| (name.into_boxed_str(), method)),
        );
        self.descriptions.extend(descriptions);
        if !bare_params.is_empty() {
            // The opt-in of the methods moved here comes with them.
            self.bare_params = self
                .bare_params
                .iter()
                .cloned()
                .chain(bare_params)
                .collect();
        }
        self.relist();
        Ok(self)
    }

    fn insert(&mut self, name: String, method: Method) -> Result<&mut Self, RouterError> {
        if self.methods.contains_key(name.as_str()) {
            return Err(RouterError::new(ErrorKind::Duplicate(name)));
        }
        self.methods.insert(name.into_boxed_str(), method);
        self.relist();
        Ok(self)
    }

    /// Every name the router answers to, aliases included, sorted.
    pub fn method_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.methods.keys().map(|name| &**name).collect();
        names.sort_unstable();
        names
    }

    /// Whether a method (or alias) of that name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.methods.contains_key(name)
    }

    /// How many names the router answers to.
    pub fn len(&self) -> usize {
        self.methods.len()
    }

    /// Whether the router has no methods.
    pub fn is_empty(&self) -> bool {
        self.methods.is_empty()
    }
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router")
            .field("methods", &self.method_names())
            .field("limits", &self.limits)
            .field("observer", &self.observer.is_some())
            .field("bare_params", &self.bare_params)
            .field("introspection", &self.introspection)
            .finish()
    }
}

fn check_name(name: &str) -> Result<(), RouterError> {
    if name.is_empty() {
        return Err(RouterError::new(ErrorKind::EmptyName));
    }
    if name.starts_with(RESERVED_PREFIX) {
        return Err(RouterError::new(ErrorKind::Reserved(name.to_owned())));
    }
    Ok(())
}

/// A method table that could not be built as asked.
///
/// ```
/// use rpc_core::{Context, Error, Params, Router};
///
/// let mut router = Router::new();
/// let ping = |_: Params<'_>, _: &Context| Ok::<_, Error>("pong");
/// router.method("ping", ping).unwrap();
/// let err = router.method("ping", ping).unwrap_err();
/// assert!(err.is_duplicate());
/// assert_eq!(err.to_string(), "method `ping` is registered more than once");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterError {
    kind: Box<ErrorKind>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ErrorKind {
    Duplicate(String),
    Reserved(String),
    EmptyName,
    UnknownTarget { alias: String, target: String },
    NotRegistered(String),
}

impl RouterError {
    fn new(kind: ErrorKind) -> Self {
        Self {
            kind: Box::new(kind),
        }
    }

    /// Whether a name was taken twice.
    pub fn is_duplicate(&self) -> bool {
        matches!(*self.kind, ErrorKind::Duplicate(_))
    }

    /// Whether a name used the reserved `rpc.` prefix.
    pub fn is_reserved(&self) -> bool {
        matches!(*self.kind, ErrorKind::Reserved(_))
    }

    /// Whether an alias pointed at a method that does not exist.
    pub fn is_unknown_target(&self) -> bool {
        matches!(*self.kind, ErrorKind::UnknownTarget { .. })
    }

    /// Whether a description named a method that is not registered.
    pub fn is_not_registered(&self) -> bool {
        matches!(*self.kind, ErrorKind::NotRegistered(_))
    }

    pub(crate) fn duplicate(name: &str) -> Self {
        Self::new(ErrorKind::Duplicate(name.to_owned()))
    }

    pub(crate) fn not_registered(name: &str) -> Self {
        Self::new(ErrorKind::NotRegistered(name.to_owned()))
    }
}

impl fmt::Display for RouterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.kind {
            ErrorKind::Duplicate(name) => write!(f, "method `{name}` is registered more than once"),
            ErrorKind::Reserved(name) => write!(
                f,
                "method name `{name}` uses the prefix `{RESERVED_PREFIX}`, which JSON-RPC reserves for system methods"
            ),
            ErrorKind::EmptyName => f.write_str("method names and namespaces may not be empty"),
            ErrorKind::UnknownTarget { alias, target } => {
                write!(f, "alias `{alias}` points at `{target}`, which is not registered")
            }
            ErrorKind::NotRegistered(name) => {
                write!(f, "method `{name}` is described but not registered")
            }
        }
    }
}

impl std::error::Error for RouterError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn ping(_: Params<'_>, _: &Context) -> Result<&'static str, Error> {
        Ok("pong")
    }

    #[test]
    fn whether_a_router_reads_the_context_survives_aliases_nesting_and_merging() {
        let ignoring = || Method::sync(ping).ignores_context();
        assert!(Method::sync(ping).reads_context());
        assert!(!ignoring().clone().reads_context());
        assert!(format!("{:?}", ignoring()).contains("reads_context: false"));
        assert!(!Method::blocking(|_: Params<'_>| Ok::<_, Error>(1)).reads_context());
        assert!(!Router::new().reads_context());

        let mut inner = Router::new();
        inner.add("a", ignoring()).unwrap();
        inner.alias("b", "a").unwrap();
        let mut outer = Router::new();
        outer.nest("ns", inner.clone()).unwrap();
        outer.merge(inner).unwrap();
        assert!(!outer.reads_context());
        // One method that reads it is enough.
        outer.method("c", ping).unwrap();
        assert!(outer.reads_context());
    }

    #[test]
    fn duplicate_names_and_aliases_are_refused() {
        let mut router = Router::new();
        router.method("a", ping).unwrap();
        assert!(router.method("a", ping).unwrap_err().is_duplicate());
        router.alias("b", "a").unwrap();
        assert!(router.alias("b", "a").unwrap_err().is_duplicate());
        assert!(router.alias("a", "a").unwrap_err().is_duplicate());
        assert!(router.alias("c", "zzz").unwrap_err().is_unknown_target());
        assert_eq!(router.method_names(), ["a", "b"]);
    }

    #[test]
    fn reserved_and_empty_names_are_refused() {
        let mut router = Router::new();
        assert!(router
            .method("rpc.discover", ping)
            .unwrap_err()
            .is_reserved());
        assert!(router.method("", ping).is_err());
        let mut inner = Router::new();
        inner.method("x", ping).unwrap();
        assert!(router.nest("rpc", inner.clone()).unwrap_err().is_reserved());
        assert!(router.nest("", inner).is_err());
        assert!(router.is_empty());
    }

    #[test]
    fn merge_is_all_or_nothing() {
        let mut a = Router::new();
        a.method("x", ping).unwrap();
        let mut b = Router::new();
        b.method("y", ping).unwrap().method("x", ping).unwrap();
        let err = a.merge(b).unwrap_err();
        assert_eq!(err.to_string(), "method `x` is registered more than once");
        assert_eq!(a.method_names(), ["x"]);
        let mut c = Router::new();
        c.method("z", ping).unwrap();
        a.merge(c).unwrap();
        assert_eq!(a.method_names(), ["x", "z"]);
    }

    #[test]
    fn nest_prefixes_with_the_separator() {
        let mut inner = Router::new();
        inner.method("add", ping).unwrap();
        let mut outer = Router::new();
        outer.nest("math", inner.clone()).unwrap();
        outer.nest("math", Router::new()).unwrap();
        assert!(outer.nest("math", inner).unwrap_err().is_duplicate());
        assert!(outer.contains("math.add"));
        assert_eq!(outer.len(), 1);
    }
}
