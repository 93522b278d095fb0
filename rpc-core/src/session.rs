//! State that lives as long as a connection: who is logged in, and anything a
//! method keeps for the calls after it.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::context::Extensions;

/// Typed state shared by every call on one connection.
///
/// On a WebSocket connection it lives as long as the connection: a `login`
/// method sets the [`Identity`], and every later call on that connection sees
/// it. Over HTTP each request has its own (empty at first), so state kept here
/// lasts one request; keep longer-lived state in your service and key it by
/// something the client sends.
///
/// Reached through [`Context::session`](crate::Context::session).
///
/// ```
/// use rpc_core::{Identity, Session};
///
/// #[derive(Clone, Debug, PartialEq)]
/// struct Theme(&'static str);
///
/// let session = Session::new();
/// session.insert(Theme("dark"));
/// assert_eq!(session.get::<Theme>(), Some(Theme("dark")));
///
/// session.set_identity(Identity::new("alice").with_permission("admin"));
/// assert!(session.identity().unwrap().has_permission("admin"));
/// session.clear_identity();
/// assert!(session.identity().is_none());
/// ```
#[derive(Default)]
pub struct Session {
    identity: RwLock<Option<Arc<Identity>>>,
    values: Mutex<Extensions>,
    /// Keeps nothing (what [`Context::empty`](crate::Context::empty) hands out).
    inert: bool,
}

impl Session {
    /// An empty session.
    pub fn new() -> Self {
        Self::default()
    }

    /// A session that keeps nothing: what is set on it is dropped.
    pub(crate) const fn inert() -> Self {
        Self {
            identity: RwLock::new(None),
            values: Mutex::new(Extensions::EMPTY),
            inert: true,
        }
    }

    /// Whether to keep what is set; logs what an inert session drops.
    fn keeps(&self) -> bool {
        if self.inert {
            tracing::debug!("session state set through a context that keeps none; dropped");
        }
        !self.inert
    }

    /// Who the connection is logged in as, if anyone.
    pub fn identity(&self) -> Option<Arc<Identity>> {
        self.identity
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Logs the connection in as `identity` (replacing any earlier one).
    pub fn set_identity(&self, identity: Identity) {
        if !self.keeps() {
            return;
        }
        *self
            .identity
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(identity));
    }

    /// Logs the connection out. Guarded methods and topics refuse it from
    /// here on; messages of guarded topics stop reaching it.
    pub fn clear_identity(&self) {
        *self
            .identity
            .write()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Keeps `value`, replacing (and returning) one of the same type.
    pub fn insert<T: Send + Sync + 'static>(&self, value: T) -> Option<T> {
        if !self.keeps() {
            return None;
        }
        self.values().insert(value)
    }

    /// A copy of the value of type `T`, if one is kept.
    pub fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.values().get::<T>().cloned()
    }

    /// Removes and returns the value of type `T`.
    pub fn remove<T: Send + Sync + 'static>(&self) -> Option<T> {
        self.values().remove::<T>()
    }

    /// Runs `f` on the value of type `T` (inserting `T::default()` first when
    /// there is none), under the session's lock: for counters and other
    /// read-modify-write state.
    ///
    /// ```
    /// use rpc_core::Session;
    ///
    /// #[derive(Default)]
    /// struct Calls(u32);
    ///
    /// let session = Session::new();
    /// session.update(|calls: &mut Calls| calls.0 += 1);
    /// assert_eq!(session.update(|calls: &mut Calls| { calls.0 += 1; calls.0 }), 2);
    /// ```
    pub fn update<T, R>(&self, f: impl FnOnce(&mut T) -> R) -> R
    where
        T: Default + Send + Sync + 'static,
    {
        if !self.keeps() {
            return f(&mut T::default());
        }
        let mut values = self.values();
        if values.get::<T>().is_none() {
            values.insert(T::default());
        }
        f(values.get_mut::<T>().expect("inserted above"))
    }

    fn values(&self) -> std::sync::MutexGuard<'_, Extensions> {
        // No user code runs under this lock but `update`'s closure; a panic
        // there must not cost the connection its state.
        self.values.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("identity", &self.identity())
            .field("values", &self.values().len())
            .finish()
    }
}

/// Who a connection or request is logged in as: a user name and the
/// permissions the guards check ([`guard`](crate::guard)).
///
/// ```
/// use rpc_core::Identity;
///
/// let root = Identity::new("root").with_permission("admin");
/// assert_eq!(root.user(), "root");
/// assert!(root.has_permission("admin") && !root.has_permission("billing"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    user: String,
    permissions: BTreeSet<String>,
}

impl Identity {
    /// An identity with no permissions.
    pub fn new(user: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            permissions: BTreeSet::new(),
        }
    }

    /// Adds a permission.
    #[must_use]
    pub fn with_permission(mut self, permission: impl Into<String>) -> Self {
        self.permissions.insert(permission.into());
        self
    }

    /// The user name.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Whether the identity holds `permission`.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions.contains(permission)
    }

    /// Every permission, sorted.
    pub fn permissions(&self) -> impl Iterator<Item = &str> {
        self.permissions.iter().map(String::as_str)
    }
}
