package dev.tower.manager.core;

import java.util.List;
import java.util.Map;

/**
 * What a cluster-mode submission asks for: the fields of Spark's {@code CreateSubmissionRequest}, as the client sent
 * them. Kept in the registry, so that a driver can be (re)launched by whichever master leads.
 *
 * @param appResource the application jar, a URI ({@code file:/...}, {@code http(s)://...}) or an absolute path
 * @param sparkProperties every property the client resolved, {@code spark.master} and the deploy mode included
 * @param environmentVariables the client's {@code SPARK_*} environment
 */
public record DriverSpec(String appResource, String mainClass, List<String> appArgs,
                         Map<String, String> sparkProperties, Map<String, String> environmentVariables,
                         String clientSparkVersion) {
    public static final String SUPERVISE = "spark.driver.supervise";
    public static final String APP_NAME = "spark.app.name";

    public DriverSpec {
        appArgs = appArgs == null ? List.of() : List.copyOf(appArgs);
        sparkProperties = sparkProperties == null ? Map.of() : Map.copyOf(sparkProperties);
        environmentVariables = environmentVariables == null ? Map.of() : Map.copyOf(environmentVariables);
    }

    /** {@code --supervise}: a driver that fails is started again. */
    public boolean supervise() {
        return Boolean.parseBoolean(sparkProperties.getOrDefault(SUPERVISE, "false").trim());
    }

    public String appName() {
        return sparkProperties.getOrDefault(APP_NAME, mainClass);
    }
}
