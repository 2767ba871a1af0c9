package dev.tower.api.model;

import java.util.List;
import java.util.Map;

/**
 * What a process task runs. With {@code shell} true (the default) {@code value} is run by {@code /bin/sh -c};
 * otherwise {@code value} is the executable and {@code arguments} its full argv (argv[0] included, as in Mesos).
 *
 * @param uris fetched into the sandbox before the command starts
 * @param workingDir relative to the sandbox unless absolute; the sandbox when null
 */
public record CommandInfo(
        Boolean shell,
        String value,
        List<String> arguments,
        Map<String, String> environment,
        List<FetchUri> uris,
        String workingDir,
        String user) {

    public CommandInfo {
        arguments = arguments == null ? List.of() : List.copyOf(arguments);
        environment = environment == null ? Map.of() : Map.copyOf(environment);
        uris = uris == null ? List.of() : List.copyOf(uris);
    }

    public static CommandInfo shell(String command) {
        return new CommandInfo(true, command, List.of(), Map.of(), List.of(), null, null);
    }

    public static CommandInfo argv(List<String> argv) {
        return new CommandInfo(false, argv.get(0), argv, Map.of(), List.of(), null, null);
    }

    public boolean isShell() {
        return shell == null || shell;
    }

    public CommandInfo withEnvironment(Map<String, String> env) {
        return new CommandInfo(shell, value, arguments, env, uris, workingDir, user);
    }

    /** A URI to fetch into the sandbox; {@code extract} unpacks archives, {@code executable} sets the x bit. */
    public record FetchUri(String value, Boolean extract, Boolean executable, String outputFile) {
        public static FetchUri of(String value) {
            return new FetchUri(value, false, false, null);
        }
    }
}
