package dev.tower.manager.core;

/** The answer to the request behind a command: an HTTP status and either a body or an error naming the field. */
public record Reply(int status, Object body, String error) {
    public static final Reply ACCEPTED = new Reply(202, null, null);

    public static Reply ok(Object body) {
        return new Reply(200, body, null);
    }

    public static Reply badRequest(String error) {
        return new Reply(400, null, error);
    }

    public static Reply notFound(String error) {
        return new Reply(404, null, error);
    }

    public boolean isError() {
        return error != null;
    }
}
