//! Props helpers: shared values compared by identity, and the dispatcher context.

use std::ops::Deref;
use std::rc::Rc;

use yew::prelude::*;

use crate::state::State;

/// An `Rc` whose equality is identity: a new report is a new value, the same report is not
/// compared field by field (the report model has no `PartialEq`, and comparing would be slow).
#[derive(Debug)]
pub struct Shared<T>(pub Rc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self(Rc::clone(&self.0))
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// How components send actions: the reducer's dispatcher, provided by `App`.
pub type Dispatch = UseReducerDispatcher<State>;

impl Reducible for State {
    type Action = crate::state::Action;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        Rc::new(self.apply(action))
    }
}

/// The dispatcher from the context. Components are only ever rendered inside `App`'s provider;
/// outside it, actions go nowhere rather than panicking.
#[hook]
pub fn use_dispatch() -> Option<Dispatch> {
    use_context::<Dispatch>()
}
