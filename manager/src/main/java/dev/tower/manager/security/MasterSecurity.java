package dev.tower.manager.security;

import dev.tower.api.security.ClientSecurity;
import dev.tower.api.security.Principals;

import javax.net.ssl.SSLContext;

/**
 * A master's security settings. {@link #OFF}: every caller is anonymous and allowed, plain HTTP.
 *
 * @param principals who may call the master; null turns authentication off
 * @param acls what each principal may do ({@link Acls#PERMISSIVE} without a file)
 * @param tls the master's certificate and key; null for plain HTTP
 * @param asClient how the master calls agents (reading sandboxes for the web UI): its credential and the CA it trusts
 * @param schedulerRateLimit calls per second each principal may make on the scheduler API; 0 for no limit
 */
public record MasterSecurity(Principals principals, Acls acls, SSLContext tls, ClientSecurity asClient,
                             double schedulerRateLimit) {
    public static final MasterSecurity OFF = new MasterSecurity(null, Acls.PERMISSIVE, null, ClientSecurity.NONE);

    public MasterSecurity {
        acls = acls == null ? Acls.PERMISSIVE : acls;
        asClient = asClient == null ? ClientSecurity.NONE : asClient;
        if (schedulerRateLimit < 0 || Double.isNaN(schedulerRateLimit) || Double.isInfinite(schedulerRateLimit)) {
            throw new IllegalArgumentException("scheduler rate limit: must be 0 (none) or more, got " + schedulerRateLimit);
        }
    }

    public MasterSecurity(Principals principals, Acls acls, SSLContext tls, ClientSecurity asClient) {
        this(principals, acls, tls, asClient, 0);
    }

    public MasterSecurity withSchedulerRateLimit(double callsPerSecond) {
        return new MasterSecurity(principals, acls, tls, asClient, callsPerSecond);
    }

    public boolean authenticates() {
        return principals != null;
    }

    public String scheme() {
        return tls != null ? "https" : "http";
    }
}
