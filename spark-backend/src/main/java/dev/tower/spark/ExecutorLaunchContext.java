package dev.tower.spark;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What every executor command of one application shares, taken from the running SparkContext.
 *
 * @param driverUrl          {@code spark://CoarseGrainedScheduler@HOST:PORT}
 * @param sparkUser          the user Spark runs as ({@code SPARK_USER} on executors)
 * @param driverSparkHome    the driver's Spark ({@code SPARK_HOME} or {@code spark.home}), used by executors when no
 *                           other Spark is configured: a Tower installation has the same paths on every machine
 * @param scalaBinaryVersion e.g. {@code 2.13}; Spark's launcher needs it when run from a directory of Maven jars
 * @param executorEnvs       {@code spark.executorEnv.*} and what SparkContext adds; wins over the backend's variables
 * @param startupJavaOptions {@code -Dspark.…} settings executors need before they can fetch the rest from the driver
 *                           (RPC, network, SSL, authentication switches)
 * @param authSecret         the secret executors authenticate with when {@code spark.authenticate} is on
 */
public record ExecutorLaunchContext(String driverUrl, String sparkUser, Optional<String> driverSparkHome,
                                    String scalaBinaryVersion, Map<String, String> executorEnvs,
                                    List<String> startupJavaOptions, Optional<String> authSecret) {
    public ExecutorLaunchContext {
        executorEnvs = Map.copyOf(executorEnvs);
        startupJavaOptions = List.copyOf(startupJavaOptions);
    }
}
