//! The JSON Schema of a listed type: made by `schemars` with the `schemars`
//! feature, absent without it (the listing then has the type's written name
//! only).

use std::fmt;

/// Makes the JSON Schema of one type of the listing (a parameter, a result,
/// a subscription item), for `rpc.discover`.
///
/// With the `schemars` feature, `#[rpc]` fills it in for every type that
/// implements `schemars::JsonSchema` (derive it with
/// `#[derive(schemars::JsonSchema)]`); a type that does not is described by
/// its written name, as every type is without the feature. Without the
/// feature it holds nothing, and no schema code is compiled at all.
///
/// Two are always equal: what a function makes cannot be compared, and a
/// listing entry is told apart by its names and types.
#[derive(Clone, Copy, Default)]
pub struct TypeSchema {
    #[cfg(feature = "schemars")]
    make: Option<MakeSchema>,
}

/// What generated code hands [`TypeSchema::new`]: `None` for a type that
/// has no `JsonSchema` implementation.
#[cfg(feature = "schemars")]
pub type MakeSchema = fn(&mut schemars::SchemaGenerator) -> Option<schemars::Schema>;

impl TypeSchema {
    /// No schema: the type is known by its written name only.
    pub const NONE: Self = Self {
        #[cfg(feature = "schemars")]
        make: None,
    };

    /// A schema made by `make`; used by generated code.
    #[cfg(feature = "schemars")]
    pub const fn new(make: MakeSchema) -> Self {
        Self { make: Some(make) }
    }

    /// The schema, made with `generator` (which collects the definitions
    /// that it refers to); `None` for a type known by name only.
    #[cfg(feature = "schemars")]
    pub fn make(&self, generator: &mut schemars::SchemaGenerator) -> Option<schemars::Schema> {
        self.make.and_then(|make| make(generator))
    }
}

impl fmt::Debug for TypeSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        #[cfg(feature = "schemars")]
        let known = self.make.is_some();
        #[cfg(not(feature = "schemars"))]
        let known = false;
        f.write_str(if known {
            "TypeSchema(..)"
        } else {
            "TypeSchema(None)"
        })
    }
}

impl PartialEq for TypeSchema {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for TypeSchema {}

/// The [`TypeSchema`] of `$ty`, for generated code: with the `schemars`
/// feature, its `JsonSchema` schema when it has one (autoref specialisation
/// picks it) and `None` otherwise; without it, [`TypeSchema::NONE`].
#[cfg(feature = "schemars")]
#[doc(hidden)]
#[macro_export]
macro_rules! __type_schema {
    ($ty:ty) => {
        $crate::TypeSchema::new(|generator| {
            #[allow(unused_imports)]
            use $crate::__private::{ViaJsonSchema as _, ViaWrittenName as _};
            (&&$crate::__private::SchemaProbe::<$ty>::new()).schema(generator)
        })
    };
}

/// The [`TypeSchema`] of `$ty`, for generated code: [`TypeSchema::NONE`]
/// without the `schemars` feature.
#[cfg(not(feature = "schemars"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __type_schema {
    ($ty:ty) => {
        $crate::TypeSchema::NONE
    };
}

#[cfg(feature = "schemars")]
pub(crate) mod probe {
    use std::marker::PhantomData;

    use schemars::{JsonSchema, Schema, SchemaGenerator};

    /// Asks for the schema of `T` by autoref specialisation:
    /// `(&&SchemaProbe::<T>::new()).schema(generator)` takes
    /// [`ViaJsonSchema`] when `T: JsonSchema`, [`ViaWrittenName`] otherwise.
    #[derive(Debug)]
    pub struct SchemaProbe<T: ?Sized>(PhantomData<T>);

    impl<T: ?Sized> SchemaProbe<T> {
        /// A probe.
        #[allow(clippy::new_without_default, reason = "only generated code makes one")]
        pub const fn new() -> Self {
            Self(PhantomData)
        }
    }

    /// The schema of a type that implements `JsonSchema`.
    pub trait ViaJsonSchema {
        /// Its schema (a reference into the generator's definitions for a named type).
        fn schema(&self, generator: &mut SchemaGenerator) -> Option<Schema>;
    }

    impl<T: JsonSchema + ?Sized> ViaJsonSchema for &SchemaProbe<T> {
        fn schema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
            Some(generator.subschema_for::<T>())
        }
    }

    /// No schema for a type that does not implement `JsonSchema`.
    pub trait ViaWrittenName {
        /// `None`: the type is described by its written name.
        fn schema(&self, _: &mut SchemaGenerator) -> Option<Schema> {
            None
        }
    }

    impl<T: ?Sized> ViaWrittenName for SchemaProbe<T> {}
}
