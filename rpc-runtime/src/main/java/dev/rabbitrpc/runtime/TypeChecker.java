package dev.rabbitrpc.runtime;

import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.AbstractDeserializer;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBase;
import com.fasterxml.jackson.databind.deser.DefaultDeserializationContext;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;

/**
 * Resolves a service method's generic types to Jackson types and rejects those the codec could not
 * round-trip, with an error naming the method ({@link #methodError}). Used by {@link ServiceDescriptor#parse}
 * while an interface is parsed; not thread-safe (one per parse).
 */
final class TypeChecker {
  final ObjectMapper mapper;
  private final DeserializationContext context;

  TypeChecker(ObjectMapper mapper) {
    this.mapper = mapper;
    this.context = ((DefaultDeserializationContext) mapper.getDeserializationContext())
        .createDummyInstance(mapper.getDeserializationConfig());
  }

  JavaType check(Method method, Type type, String role) {
    rejectTypeVariables(method, type, type, role);
    JavaType javaType = mapper.getTypeFactory().constructType(type);
    checkCodec(method, javaType, role);
    return javaType;
  }

  private void rejectTypeVariables(Method method, Type whole, Type part, String role) {
    if (part instanceof TypeVariable) {
      throw methodError(method, role + " " + whole.getTypeName() + " uses type variable " + part.getTypeName()
          + ", which is erased at run time; use a concrete type");
    } else if (part instanceof ParameterizedType) {
      for (Type argument : ((ParameterizedType) part).getActualTypeArguments()) {
        rejectTypeVariables(method, whole, argument, role);
      }
    } else if (part instanceof GenericArrayType) {
      rejectTypeVariables(method, whole, ((GenericArrayType) part).getGenericComponentType(), role);
    } else if (part instanceof WildcardType) {
      for (Type bound : ((WildcardType) part).getUpperBounds()) {
        rejectTypeVariables(method, whole, bound, role);
      }
    } else if (part instanceof Class && ((Class<?>) part).getTypeParameters().length > 0
        && !((Class<?>) part).isArray()) {
      throw methodError(method, role + " uses raw type " + part.getTypeName() + "; give its type arguments");
    }
  }

  private void checkCodec(Method method, JavaType type, String role) {
    if (type.getRawClass() == void.class || type.getRawClass() == Void.class) {
      if (!role.equals("return type")) {
        throw methodError(method, role + " cannot be void");
      }
      return;
    }
    try {
      mapper.getSerializerProviderInstance().findValueSerializer(type);
      JsonDeserializer<Object> deserializer = context.findRootValueDeserializer(type);
      if (deserializer instanceof AbstractDeserializer) {
        throw methodError(method, role + " " + type.toCanonical()
            + " is abstract and has no type information; use a concrete type");
      }
      if (deserializer instanceof BeanDeserializerBase
          && !((BeanDeserializerBase) deserializer).getValueInstantiator().canInstantiate()) {
        throw methodError(method, role + " " + type.toCanonical()
            + " cannot be created from JSON: it needs a public no-argument constructor, a @JsonCreator, or to be a record");
      }
    } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
      throw methodError(method, role + " " + type.toCanonical() + " is not supported by the JSON codec: "
          + e.getOriginalMessage());
    }
    // Map key types need no check here: finding the map's deserializer fails for keys JSON cannot hold.
    for (JavaType part : new JavaType[] {type.getContentType(), type.getReferencedType()}) {
      if (part != null && part.getRawClass() != Object.class) {
        checkCodec(method, part, role);
      }
    }
  }

  /** The method's name as errors and logs give it: {@code Interface.method}. */
  static String key(Method method) {
    return method.getDeclaringClass().getSimpleName() + "." + method.getName();
  }

  static IllegalArgumentException methodError(Method method, String message) {
    return new IllegalArgumentException(message + "\n    for method " + key(method));
  }
}
