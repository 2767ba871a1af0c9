package dev.tower.spark;

import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.ExternalClusterManager;
import org.apache.spark.scheduler.SchedulerBackend;
import org.apache.spark.scheduler.TaskScheduler;
import org.apache.spark.scheduler.TaskSchedulerImpl;

/**
 * Spark's entry point into Tower, found by ServiceLoader
 * ({@code META-INF/services/org.apache.spark.scheduler.ExternalClusterManager}) when the master URL is
 * {@code spark+tower://HOST:PORT[,HOST:PORT]} or {@code spark+tower://zk://ZKHOST:PORT[,ZKHOST:PORT]/PATH}.
 * Spark's own task scheduler does the task-level work; the Tower backend provides the executors.
 */
public final class TowerClusterManager implements ExternalClusterManager {

    @Override
    public boolean canCreate(String masterURL) {
        return TowerMasterUrl.matches(masterURL);
    }

    @Override
    public TaskScheduler createTaskScheduler(SparkContext sc, String masterURL) {
        return new TaskSchedulerImpl(sc);
    }

    @Override
    public SchedulerBackend createSchedulerBackend(SparkContext sc, String masterURL, TaskScheduler scheduler) {
        return new TowerSchedulerBackend((TaskSchedulerImpl) scheduler, sc, TowerMasterUrl.parse(masterURL));
    }

    @Override
    public void initialize(TaskScheduler scheduler, SchedulerBackend backend) {
        ((TaskSchedulerImpl) scheduler).initialize(backend);
    }
}
