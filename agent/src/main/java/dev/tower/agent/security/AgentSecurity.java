package dev.tower.agent.security;

import dev.tower.api.security.ClientSecurity;
import dev.tower.api.security.Principals;

import javax.net.ssl.SSLContext;

/**
 * An agent's security settings. {@link #OFF}: its API answers anyone, it calls the master anonymously, plain HTTP.
 *
 * @param principals who may call the agent's API (the master, operators); null turns authentication off. Tasks
 *                   read their own sandbox with the token the agent gives them ({@code TOWER_TASK_TOKEN}).
 * @param asClient how the agent calls the master: its credential and the CA it trusts
 * @param tls the agent's certificate and key for its own API; null for plain HTTP
 */
public record AgentSecurity(Principals principals, ClientSecurity asClient, SSLContext tls) {
    public static final AgentSecurity OFF = new AgentSecurity(null, ClientSecurity.NONE, null);

    public AgentSecurity {
        asClient = asClient == null ? ClientSecurity.NONE : asClient;
    }

    public boolean authenticates() {
        return principals != null;
    }
}
