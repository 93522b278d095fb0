//! Typed values of any type, for request-scoped data.

use std::any::{Any, TypeId};
use std::fmt;

use rustc_hash::FxHashMap;

/// A map from type to value, for request-scoped data of any type.
///
/// ```
/// use rpc_core::Extensions;
///
/// struct UserId(u64);
/// let mut ext = Extensions::default();
/// ext.insert(UserId(7));
/// assert_eq!(ext.get::<UserId>().map(|id| id.0), Some(7));
/// ```
#[derive(Default)]
pub struct Extensions {
    // Boxed and lazy: most requests carry no extensions and pay nothing for them.
    map: Option<Box<FxHashMap<TypeId, Box<dyn Any + Send + Sync>>>>,
}

impl Extensions {
    /// No values; usable in `const` and `static` items.
    pub(crate) const EMPTY: Extensions = Extensions { map: None };

    /// Inserts a value, returning the one of the same type it replaces.
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: T) -> Option<T> {
        self.map
            .get_or_insert_with(Box::default)
            .insert(TypeId::of::<T>(), Box::new(value))
            .and_then(|old| old.downcast().ok().map(|old| *old))
    }

    /// The value of type `T`, if any.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.map.as_ref()?.get(&TypeId::of::<T>())?.downcast_ref()
    }

    /// The value of type `T`, mutably.
    pub fn get_mut<T: Send + Sync + 'static>(&mut self) -> Option<&mut T> {
        self.map
            .as_mut()?
            .get_mut(&TypeId::of::<T>())?
            .downcast_mut()
    }

    /// Removes and returns the value of type `T`.
    pub fn remove<T: Send + Sync + 'static>(&mut self) -> Option<T> {
        let old = self.map.as_mut()?.remove(&TypeId::of::<T>())?;
        old.downcast().ok().map(|old| *old)
    }

    /// How many values are stored.
    pub fn len(&self) -> usize {
        self.map.as_ref().map_or(0, |map| map.len())
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extensions")
            .field("len", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Context;

    #[test]
    fn extensions_are_typed() {
        let ctx = Context::new().with(5u32).with("text");
        assert_eq!(ctx.get::<u32>(), Some(&5));
        assert_eq!(ctx.get::<&str>(), Some(&"text"));
        assert_eq!(ctx.get::<u64>(), None);
        let mut ext = Extensions::default();
        assert!(ext.is_empty());
        assert_eq!(ext.insert(1u8), None);
        assert_eq!(ext.insert(2u8), Some(1));
        *ext.get_mut::<u8>().unwrap() += 1;
        assert_eq!(ext.remove::<u8>(), Some(3));
        assert!(ext.is_empty());
    }
}
