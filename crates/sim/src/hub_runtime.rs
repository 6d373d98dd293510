//! The hub's runtime, apart from its state (`crate::hub`, which the world holds): the tasks
//! that answer `POST /hub`, verify intent and deliver pushes under the shared lock, and
//! [`crate::SimControl`]'s hub methods. Kept out of `hub` so the world never depends on it.

mod control;
pub(crate) mod tasks;
