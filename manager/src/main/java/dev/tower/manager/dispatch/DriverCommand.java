package dev.tower.manager.dispatch;

import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.Resources;
import dev.tower.manager.core.DriverSpec;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The task that runs a submitted driver: {@code SPARK_HOME/bin/spark-submit --deploy-mode client --master
 * spark+tower://MASTER ...} on an agent, with every property the client submitted except the ones that made it a
 * cluster-mode submission, and the application jar fetched into the sandbox.
 */
public final class DriverCommand {
    /** Submitted properties not passed on: the driver runs in client mode against Tower, with the jar it fetched. */
    static final Set<String> NOT_FORWARDED = Set.of("spark.master", "spark.submit.deployMode", "spark.jars");
    /** The client's environment that describes the client's machine, not the driver's. */
    static final Set<String> ENV_NOT_FORWARDED = Set.of("SPARK_HOME", "SPARK_CONF_DIR", "SPARK_ENV_LOADED",
            "SPARK_LOCAL_IP", "SPARK_LOCAL_HOSTNAME", "SPARK_PUBLIC_DNS", "SPARK_LOCAL_DIRS");
    public static final String SPARK_HOME_PROPERTY = "spark.tower.executor.home";
    static final String DRIVER_CORES = "spark.driver.cores";
    static final String DRIVER_MEMORY = "spark.driver.memory";
    static final String DRIVER_OVERHEAD = "spark.driver.memoryOverhead";
    static final String DRIVER_HOST = "spark.driver.host";

    private DriverCommand() {
    }

    /** The Spark home the driver runs from: the submission's, else the master's; empty when neither names one. */
    public static Optional<String> sparkHome(DriverSpec spec, Optional<String> masterDefault) {
        String own = spec.sparkProperties().get(SPARK_HOME_PROPERTY);
        return own != null && !own.isBlank() ? Optional.of(own.trim()) : masterDefault;
    }

    /** cpus and mem (MB) of the driver task: the driver's cores and heap plus overhead, as Spark sizes them. */
    static Resources resources(DriverSpec spec) {
        double cpus = parseDouble(spec.sparkProperties().get(DRIVER_CORES), 1);
        long heap = memoryMb(spec.sparkProperties().get(DRIVER_MEMORY), 1024);
        long overhead = memoryMb(spec.sparkProperties().get(DRIVER_OVERHEAD), Math.max(384, heap / 10));
        return Resources.cpusMem(cpus, heap + overhead);
    }

    static CommandInfo build(DriverSpec spec, String sparkHome, String sparkMasterUrl, String hostname) {
        String jar = localName(spec.appResource());
        List<String> argv = new ArrayList<>(List.of(sparkHome + "/bin/spark-submit",
                "--master", sparkMasterUrl, "--deploy-mode", "client", "--class", spec.mainClass()));
        Map<String, String> props = new java.util.TreeMap<>(spec.sparkProperties());
        NOT_FORWARDED.forEach(props::remove);
        if (hostname != null && !props.containsKey(DRIVER_HOST)) {
            props.put(DRIVER_HOST, hostname); // executors reach the driver at its agent's advertised address
        }
        props.forEach((k, v) -> {
            argv.add("--conf");
            argv.add(k + "=" + v);
        });
        argv.add(jar);
        argv.addAll(spec.appArgs());
        Map<String, String> env = new LinkedHashMap<>();
        spec.environmentVariables().forEach((k, v) -> {
            if (k.startsWith("SPARK_") && !ENV_NOT_FORWARDED.contains(k)) {
                env.put(k, v);
            }
        });
        env.put("SPARK_HOME", sparkHome);
        return new CommandInfo(false, argv.get(0), argv, env,
                List.of(new CommandInfo.FetchUri(fetchUri(spec.appResource()), false, false, jar)), null, null);
    }

    /** What the agent fetches: the resource itself, an absolute path as a {@code file:} URI. */
    static String fetchUri(String appResource) {
        return appResource.startsWith("/") ? "file://" + appResource : appResource;
    }

    /** The jar's file name in the sandbox. */
    static String localName(String appResource) {
        String path = appResource.startsWith("/") ? appResource : URI.create(appResource).getPath();
        if (path == null || path.isEmpty() || path.endsWith("/")) {
            return "app.jar";
        }
        String name = path.substring(path.lastIndexOf('/') + 1);
        return name.isBlank() || name.startsWith(".") ? "app.jar" : name;
    }

    private static double parseDouble(String v, double dflt) {
        try {
            return v == null ? dflt : Math.max(0.1, Double.parseDouble(v.trim()));
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    /** A Spark memory size ({@code 512m}, {@code 2g}, bytes without a unit is MB for these settings) in MB. */
    static long memoryMb(String v, long dflt) {
        if (v == null || v.isBlank()) {
            return dflt;
        }
        String s = v.trim().toLowerCase(java.util.Locale.ROOT);
        try {
            char unit = s.charAt(s.length() - 1);
            if (Character.isDigit(unit)) {
                return Long.parseLong(s);
            }
            String num = s.endsWith("b") && s.length() > 2 && !Character.isDigit(s.charAt(s.length() - 2))
                    ? s.substring(0, s.length() - 2) : s.substring(0, s.length() - 1);
            unit = s.endsWith("b") && s.length() > 2 && !Character.isDigit(s.charAt(s.length() - 2))
                    ? s.charAt(s.length() - 2) : unit;
            long n = Long.parseLong(num);
            return switch (unit) {
                case 'k' -> Math.max(1, n / 1024);
                case 'm' -> n;
                case 'g' -> n * 1024;
                case 't' -> n * 1024 * 1024;
                default -> dflt;
            };
        } catch (NumberFormatException e) {
            return dflt;
        }
    }
}
