package dev.tower.api.security;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * An {@link HttpClient} that sends every request with the client's credential and, with TLS, over {@code https}:
 * callers keep building {@code http://host:port} URIs from master URLs, ZooKeeper entries and agent addresses (which
 * carry no scheme), and no request of a TLS client can leave in plain text.
 */
final class SecureHttpClient extends HttpClient {
    private final HttpClient delegate;
    private final String authorization;
    private final boolean tls;

    SecureHttpClient(HttpClient delegate, String authorization, boolean tls) {
        this.delegate = delegate;
        this.authorization = authorization;
        this.tls = tls;
    }

    HttpRequest secure(HttpRequest request) {
        URI uri = request.uri();
        boolean upgrade = tls && "http".equalsIgnoreCase(uri.getScheme());
        if (!upgrade && authorization == null) {
            return request;
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(request, (name, value) -> !"authorization".equalsIgnoreCase(name));
        if (upgrade) {
            b.uri(https(uri));
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b.build();
    }

    static URI https(URI uri) {
        return URI.create("https" + uri.toString().substring(uri.getScheme().length()));
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        return delegate.send(secure(request), handler);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        return delegate.sendAsync(secure(request), handler);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
                                                            HttpResponse.PushPromiseHandler<T> push) {
        return delegate.sendAsync(secure(request), handler, push);
    }

    @Override
    public Optional<CookieHandler> cookieHandler() {
        return delegate.cookieHandler();
    }

    @Override
    public Optional<Duration> connectTimeout() {
        return delegate.connectTimeout();
    }

    @Override
    public Redirect followRedirects() {
        return delegate.followRedirects();
    }

    @Override
    public Optional<ProxySelector> proxy() {
        return delegate.proxy();
    }

    @Override
    public SSLContext sslContext() {
        return delegate.sslContext();
    }

    @Override
    public SSLParameters sslParameters() {
        return delegate.sslParameters();
    }

    @Override
    public Optional<Authenticator> authenticator() {
        return delegate.authenticator();
    }

    @Override
    public Version version() {
        return delegate.version();
    }

    @Override
    public Optional<Executor> executor() {
        return delegate.executor();
    }
}
