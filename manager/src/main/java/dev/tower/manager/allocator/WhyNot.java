package dev.tower.manager.allocator;

/** A reason a person can read for resources not being offered, with a stable code for programs. */
public record WhyNot(Code code, String reason) {
    public enum Code {
        OFFERED, AGENT_UNREACHABLE, AGENT_RECOVERING, FRAMEWORK_DISCONNECTED, SUPPRESSED, FILTERED, OFFER_OUTSTANDING,
        NO_FREE_RESOURCES, ROLE_OVER_SHARE, PENDING_ALLOCATION
    }
}
