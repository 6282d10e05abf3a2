//! placeholder until the charts module lands.
