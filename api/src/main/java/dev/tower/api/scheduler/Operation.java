package dev.tower.api.scheduler;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.tower.api.model.TaskInfo;

import java.util.List;

/** An operation applied to accepted offers. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = Operation.Launch.class, name = "LAUNCH"),
})
public sealed interface Operation {
    record Launch(List<TaskInfo> tasks) implements Operation {
        public Launch {
            tasks = tasks == null ? List.of() : List.copyOf(tasks);
        }
    }
}
