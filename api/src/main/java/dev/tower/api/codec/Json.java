package dev.tower.api.codec;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;

import java.io.UncheckedIOException;
import java.util.stream.Collectors;

/** The one JSON codec of the wire protocol, shared by master, agent, clients and CLI. */
public final class Json {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new Jdk8Module())
            // NaN must reach validation so the error can name the field, rather than fail as "malformed JSON".
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();

    private static final ClassValue<String> TYPE_NAMES = new ClassValue<>() {
        @Override
        protected String computeValue(Class<?> type) {
            for (Class<?> parent : type.getInterfaces()) {
                JsonSubTypes subTypes = parent.getAnnotation(JsonSubTypes.class);
                if (subTypes != null) {
                    for (JsonSubTypes.Type t : subTypes.value()) {
                        if (t.value() == type) {
                            return t.name();
                        }
                    }
                }
            }
            return type.getSimpleName();
        }
    };

    private Json() {
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] writeBytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Decodes {@code text}; a bad input throws {@link BadInputException} with a message naming the field. */
    public static <T> T read(String text, Class<T> type) {
        if (text == null || text.isBlank()) {
            throw new BadInputException("request body is empty: expected a JSON object");
        }
        try {
            T value = MAPPER.readValue(text, type);
            if (value == null) {
                throw new BadInputException("request body is null: expected a JSON object");
            }
            return value;
        } catch (JsonProcessingException e) {
            throw new BadInputException(describe(e));
        }
    }

    public static <T> T read(byte[] bytes, Class<T> type) {
        return read(new String(bytes, java.nio.charset.StandardCharsets.UTF_8), type);
    }

    /** The name under which {@code value}'s class appears as {@code type} in JSON (SUBSCRIBE, OFFERS, ...). */
    public static String typeName(Object value) {
        return TYPE_NAMES.get(value.getClass());
    }

    /** A one-line explanation of a decoding failure that names the offending field, for HTTP 400 bodies. */
    public static String describe(JsonProcessingException e) {
        if (e instanceof InvalidTypeIdException t) {
            String field = path(t);
            return (field.isEmpty() ? "type" : field + ".type") + ": unknown call type '" + t.getTypeId() + "'";
        }
        String msg = e.getOriginalMessage();
        if (msg != null && msg.contains("missing type id")) {
            return "type: missing call type";
        }
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            return path(m) + ": " + firstLine(msg);
        }
        if (e.getProcessor() instanceof JsonParser || e instanceof com.fasterxml.jackson.core.JsonParseException) {
            return "malformed JSON: " + firstLine(msg);
        }
        return firstLine(msg);
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "invalid input";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
