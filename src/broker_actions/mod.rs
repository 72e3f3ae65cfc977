//! The broker's own actions behind `/inapp/action?actionType=…`, from
//! configuration: forms whose submissions are stored for the back-office,
//! and hand-offs to a broker URL carrying a signed, short-lived assertion
//! of who the trader is (an HS256 JWT, posted, never put in a URL).

pub mod service;
