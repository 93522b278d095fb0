//! The names of a method's arguments, by position, as the decoder reads them.

use crate::listing::ParamInfo;

/// The names (and, optionally, written types) of a method's arguments, by position.
///
/// Implemented for lists of names (`["a", "b"]`) and for the macro's
/// [`ParamInfo`] lists, whose written types then appear in error messages.
pub trait ParamNames {
    #[doc(hidden)]
    fn names(&self) -> Names<'_>;
}

/// The two shapes of name lists the decoder reads.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum Names<'a> {
    Plain(&'a [&'a str]),
    Info(&'a [ParamInfo]),
}

impl Names<'_> {
    pub(super) fn name(&self, index: usize) -> Option<&str> {
        match self {
            Names::Plain(names) => names.get(index).copied(),
            Names::Info(infos) => infos.get(index).map(|info| info.name),
        }
    }

    pub(super) fn type_name(&self, index: usize) -> Option<&str> {
        match self {
            Names::Plain(_) => None,
            Names::Info(infos) => infos.get(index).map(|info| info.ty),
        }
    }
}

impl ParamNames for [&str] {
    fn names(&self) -> Names<'_> {
        Names::Plain(self)
    }
}

impl<const N: usize> ParamNames for [&str; N] {
    fn names(&self) -> Names<'_> {
        Names::Plain(self)
    }
}

impl ParamNames for [ParamInfo] {
    fn names(&self) -> Names<'_> {
        Names::Info(self)
    }
}

impl<const N: usize> ParamNames for [ParamInfo; N] {
    fn names(&self) -> Names<'_> {
        Names::Info(self)
    }
}
