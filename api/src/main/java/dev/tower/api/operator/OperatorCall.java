package dev.tower.api.operator;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

import java.util.Map;

/** Calls POSTed to {@code /api/v1/operator}. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = OperatorCall.UpdateWeights.class, name = "UPDATE_WEIGHTS"),
        @JsonSubTypes.Type(value = OperatorCall.Teardown.class, name = "TEARDOWN"),
        @JsonSubTypes.Type(value = OperatorCall.KillTask.class, name = "KILL_TASK"),
})
public sealed interface OperatorCall {

    /** Sets the weights of the named roles; roles not named keep theirs. */
    record UpdateWeights(Map<String, Double> weights) implements OperatorCall {
    }

    record Teardown(String frameworkId) implements OperatorCall {
    }

    /** Kills a task on behalf of an operator; its framework sees the KILLED update as usual. */
    record KillTask(String frameworkId, String taskId) implements OperatorCall {
    }
}
