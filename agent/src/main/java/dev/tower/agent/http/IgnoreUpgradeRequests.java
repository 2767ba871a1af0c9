package dev.tower.agent.http;

import jakarta.inject.Inject;
import jakarta.inject.Provider;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import org.glassfish.grizzly.http.server.Request;

/**
 * The JDK HTTP client asks every plain-HTTP request to upgrade to h2c. Grizzly, which does not upgrade here, then
 * treats the answer as an upgrade response and leaves out its Content-Type; forgetting the request's Upgrade header
 * keeps the answer an ordinary HTTP/1.1 response.
 */
@PreMatching
public final class IgnoreUpgradeRequests implements ContainerRequestFilter {
    private final Provider<Request> request;

    @Inject
    public IgnoreUpgradeRequests(Provider<Request> request) {
        this.request = request;
    }

    @Override
    public void filter(ContainerRequestContext context) {
        Request r = request.get();
        if (r != null && r.getRequest().isUpgrade()) {
            r.getRequest().getUpgradeDC().recycle();
            r.getRequest().setIgnoreContentModifiers(false);
        }
    }
}
