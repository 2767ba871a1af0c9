package dev.tower.agent.http;

import org.glassfish.grizzly.filterchain.BaseFilter;
import org.glassfish.grizzly.filterchain.FilterChainBuilder;
import org.glassfish.grizzly.filterchain.FilterChainContext;
import org.glassfish.grizzly.filterchain.FilterChainEvent;
import org.glassfish.grizzly.filterchain.NextAction;
import org.glassfish.grizzly.http.HttpEvents;
import org.glassfish.grizzly.http.HttpHeader;
import org.glassfish.grizzly.http.HttpServerFilter;
import org.glassfish.grizzly.http.server.AddOn;
import org.glassfish.grizzly.http.server.NetworkListener;

/**
 * Answers requests that offer a protocol upgrade as plain HTTP/1.1 requests, ignoring the offer (which a server may
 * do: RFC 9110 §7.8, RFC 7540 §3.2). The JDK HttpClient, by default, offers {@code Upgrade: h2c} on every
 * plain-HTTP request.
 * <p>
 * Grizzly's HTTP codec ({@link HttpServerFilter}) marks a request with an {@code Upgrade} header as an upgrade as
 * soon as its headers are parsed: it then skips the request's HTTP/1.1 semantics (Content-Length, chunking,
 * keep-alive) and passes whatever follows the headers on as data of the new protocol, so the body of a POST is never
 * delivered as such and the request hangs; answers also lose their Content-Type. A Jersey filter or a server probe
 * comes too late to change this. The codec announces the upgrade with an upstream event before it applies those
 * semantics; the filter this add-on places right after the codec forgets the upgrade then, so the codec treats the
 * request like any other.
 */
public final class IgnoreUpgradeRequests implements AddOn {

    @Override
    public void setup(NetworkListener listener, FilterChainBuilder builder) {
        int codec = builder.indexOfType(HttpServerFilter.class);
        if (codec < 0) {
            throw new IllegalStateException("no HTTP codec filter on listener " + listener.getName());
        }
        builder.add(codec + 1, new ForgetUpgrade());
    }

    private static final class ForgetUpgrade extends BaseFilter {
        @Override
        public NextAction handleEvent(FilterChainContext ctx, FilterChainEvent event) {
            if (event.type() != HttpEvents.IncomingHttpUpgradeEvent.TYPE) {
                return ctx.getInvokeAction();
            }
            HttpHeader request = ((HttpEvents.IncomingHttpUpgradeEvent) event).getHttpHeader();
            request.getUpgradeDC().recycle();
            request.setIgnoreContentModifiers(false);
            return ctx.getStopAction();
        }
    }
}
