"""The RFC sentences the conformance checks rest on, verbatim (issue 11: levels as the RFC words them).

Each check's level is the RFC 2119 keyword of its sentence: MUST/SHALL/REQUIRED -> MUST,
SHOULD/RECOMMENDED -> SHOULD, MAY/OPTIONAL (or a definition with no keyword) -> MAY. " … " joins two
verbatim excerpts of one passage, e.g. a definition and the SHALL that makes the server honour it.
Sources: RFC 7643, RFC 7644; RFC 7232 (conditional requests), RFC 7235 and RFC 6750 (401) where a
check rests on them; RFC 9865 for the cursor checks. tests/scenarios/test_levels.py checks every RFC check against this table.
"""

from __future__ import annotations

import re

__all__ = ["QUOTES", "keyword_levels"]

CURSOR_NEXT = ("Service providers supporting cursor-based pagination MUST include nextCursor in all paged query "
               "responses except when returning the last page.")
SHALL_FILTER = 'When specified, only those resources matching the filter expression SHALL be returned.'
STATUS_SHOULD = 'Implementers SHOULD handle the identified HTTP status codes as described below.'
PATCH_OK = ('On successful completion, the server either MUST return a 200 OK response code and the entire resource '
            'within the response body, subject to the "attributes" query parameter (see Section 3.9), or MAY return '
            'HTTP status code 204 (No Content) and the appropriate response headers for a successful PATCH request.')
ATTRS = ('When specified, the default list of attributes SHALL be overridden, and each resource returned MUST contain '
         'the minimum set of resource attributes and any attributes or sub-attributes explicitly requested by the '
         '"attributes" parameter.')
EXCLUDED = ('When specified, each resource returned MUST contain the minimum set of resource attributes. Additionally, '
            'the default set of attributes minus those attributes listed in "excludedAttributes" is returned.')
FACETS = 'All facets (URN, attribute, and sub-attribute name) of the fully encoded attribute name are case insensitive.'
URN_CLIENT = ('Clients MAY omit core schema attribute URN prefixes but SHOULD fully qualify extended attributes with '
              'the associated schema extension URN to avoid naming conflicts.')
SORT_BY = 'The "sortBy" parameter specifies the attribute whose value SHALL be used to order the returned responses.'
CREATED_201 = ('When the service provider successfully creates the new resource, an HTTP response SHALL be returned '
               'with HTTP status code 201 (Created).')
DUP_409 = ('If the service provider determines that the creation of the requested resource conflicts with existing '
           'resources (e.g., a "User" resource with a duplicate "userName"), the service provider MUST return HTTP '
           'status code 409 (Conflict) with a "scimType" error code of "uniqueness", as per Section 3.12.')
READONLY_POST = ('In the request body, attributes whose mutability is "readOnly" (see Sections 2.2 and 7 of [RFC7643]) '
                 'SHALL be ignored.')
MUTABILITY_PATCH = ('An operation that is not compatible with an attribute\'s mutability or schema SHALL return the '
                    'appropriate HTTP response status code and a JSON detail error response as defined in Section 3.12.')
ATOMIC = ('A PATCH request, regardless of the number of operations, SHALL be treated as atomic. If a single operation '
          'encounters an error condition, the original SCIM resource MUST be restored, and a failure status SHALL be '
          'returned.')
UNKNOWN_OP = ('Providers MUST decline to filter results if the specified filter operation is not recognized and '
              'return an HTTP 400 error with a "scimType" error of "invalidFilter" and an appropriate human-readable '
              'response as per Section 3.12.')
CASE_EXACT_FILTER = ('When comparing attributes of type String, the case sensitivity for String type attributes SHALL '
                     'be determined by the attribute\'s "caseExact" characteristic (see Section 2.2 of [RFC7643]).')
NO_MATCH = ('A query that does not return any matches SHALL return success (HTTP status code 200) with "totalResults" '
            'set to a value of 0.')
DELETED_404 = ('Service providers MAY choose not to permanently delete the resource but MUST return a 404 (Not Found) '
               'error code for all operations associated with the previously deleted resource.')
MULTI_ANY = ('If the specified attribute in a filter expression is a multi-valued attribute, the filter matches if any '
             'of the values of the specified attribute match the specified criterion; e.g., if a User has multiple '
             '"emails" values, only one has to match for the entire User to match.')
ERR_BODY = ('In addition to returning an HTTP response code, implementers MUST return the errors in the body of the '
            'response in a JSON format, using the attributes described below.')
ETAG_HDR = ('When supported, SCIM ETags MUST be specified as an HTTP header and SHOULD be specified within the '
            '"version" attribute contained in the resource\'s "meta" attribute.')
USERNAME = ('Each User MUST include a non-empty userName value. This identifier MUST be unique across the service '
            'provider\'s entire set of Users. This attribute is REQUIRED and is case insensitive.')
PAGE_META = ('startIndex  The 1-based index of the first result in the current set of list results. REQUIRED when '
             'partial results are returned due to pagination.')
COUNT_MAX = ('When specified, the service provider MUST NOT return more results than specified, although it MAY '
             'return fewer results.')
PAGING_MAY = ('Because pagination is not stateful, clients MUST be prepared to handle inconsistent results. For '
              'example, a request for a list of 10 resources beginning with a startIndex of 1 MAY return different '
              'results when repeated, since resources on the service provider may have changed between requests.')
T3 = {
    "eq": 'The attribute and operator values must be identical for a match.',
    "ne": 'The attribute and operator values are not identical.',
    "co": 'The entire operator value must be a substring of the attribute value for a match.',
    "sw": ('The entire operator value must be a substring of the attribute value, starting at the '
           'beginning of the attribute value. This criterion is satisfied if the two strings are identical.'),
    "ew": ('The entire operator value must be a substring of the attribute value, matching at the end '
           'of the attribute value. This criterion is satisfied if the two strings are identical.'),
    "pr": ('If the attribute has a non-empty value, or if it contains a non-empty node for '
           'complex attributes, there is a match.'),
    "gt": ('If the attribute value is greater than the operator value, there is a match. The actual '
           'comparison is dependent on the attribute type. For string attribute types, this is a lexicographical '
           'comparison, and for DateTime types, it is a chronological comparison.'),
    "ge": ('If the attribute value is greater than or equal to the operator value, '
           'there is a match.'),
    "lt": 'If the attribute value is less than the operator value, there is a match.',
    "le": ('If the attribute value is less than or equal to the operator value, there is a '
           'match.'),
}
ABNF = 'SCIM filters MUST conform to the following ABNF [RFC5234] rules as specified below:'
def f(op: str) -> str:
    return T3[op] + ' … ' + SHALL_FILTER
MEMBER_VALUE = ('The "value" sub-attribute contains the value of an "id" attribute of a SCIM resource, and the "$ref" '
                'sub-attribute must be the URI of a SCIM resource such as a "User", or a "Group".')
ACCEPT = ('Service providers MUST support the Accept header "Accept: application/scim+json" and SHOULD support the header '
          '"Accept: application/json", both of which specify JSON documents conforming to [RFC7159].')
UTF8 = ('Servers MUST accept requests and be able to return JSON-formatted responses using UTF-8 encoding [RFC3629]. '
        'UTF-8 SHALL be the default encoding format.')
PARTIAL = ('Clients MAY request a partial resource representation on any operation that returns a resource within the '
           'response by specifying either of the mutually exclusive URL query parameters "attributes" or '
           '"excludedAttributes", as follows: … ' + ATTRS)
RETURNED_NEVER = ('never  The attribute is never returned. … The cleartext value or the hashed value of a password SHALL '
                  'NOT be returnable by a service provider.')
GROUPS_VALUE = ('If the SCIM service provider exposes a "Group" resource, the "value" sub-attribute MUST be the "id", and '
                'the "$ref" sub-attribute must be the URI of the corresponding "Group" resources to which the user belongs.')
TOTAL = ('totalResults  The total number of results returned by the list or query operation. The value may be larger '
         'than the number of resources returned, such as when returning a single page (see Section 3.4.2.4) of results '
         'where multiple pages are available. REQUIRED.')
SCHEMAS_ATTR = ('The "schemas" attribute is a REQUIRED attribute and is an array of Strings containing URIs that are used '
                'to indicate the namespaces of the SCIM schemas that define the attributes present in the current JSON '
                'structure.')
PUT_RW = 'readWrite, writeOnly  Any values provided SHALL replace the existing attribute values.'
PUT_RO = 'readOnly  Any values provided SHALL be ignored.'
REMOVE_FILTER = ('If the target location is a multi-valued attribute and a complex filter is specified comparing a '
                 '"value", the values matched by the filter are removed. If no other values remain after removal of the '
                 'selected values, the multi-valued attribute SHALL be considered unassigned.')
SEARCH = ('The inclusion of "/.search" on the end of a valid SCIM endpoint SHALL be used to indicate that the HTTP POST '
          'verb is intended to be a query operation.')


_KEYWORDS = (("MUST", ("MUST", "SHALL", "REQUIRED")), ("SHOULD", ("SHOULD", "RECOMMENDED")), ("MAY", ("MAY", "OPTIONAL")))


def keyword_levels(quote: str) -> set[str]:
    """The levels the RFC 2119 keywords of ``quote`` allow: {"MUST", "SHOULD"} for a passage with
    both; {"MAY"} for a definition with no keyword at all (the RFC does not oblige)."""
    words = set(re.findall(r"\b[A-Z]+\b", quote))
    found = {level for level, spelled in _KEYWORDS if words & set(spelled)}
    return found or {"MAY"}


#: check id -> the RFC sentence(s) its level comes from.
QUOTES: dict[str, str] = {
    "attributes.names-case-insensitive": 'Attribute names are case insensitive and are often "camel-cased" (e.g., "camelCase"). … '
        + CREATED_201,
    "attributes.case-exact-preserved": 'For attributes that are case exact, the server SHALL preserve case for any value submitted.',
    "attributes.uniqueness-none-allowed": CREATED_201 + ' … none  The values are not intended to be unique in any way. DEFAULT.',
    "attributes.json-types": ('The attribute value MUST be encoded as a valid xsd:dateTime as specified in Section 3.3.7 of '
        '[XML-Schema] and MUST include both a date and a time.'),
    "attributes.nested-complex-refused": ('A complex attribute MUST NOT contain sub-attributes that have sub-attributes (i.e., that are '
        'complex).'),
    "attributes.single-primary": 'The primary attribute value "true" MUST appear no more than once.',
    "attributes.no-duplicate-values": ('Service providers MAY return element objects with the same "value" sub-attribute more than once '
        'with a different "type" sub-attribute (e.g., the same email address may be used for work and '
        'home) but SHOULD NOT return the same (type, value) combination more than once per attribute, as '
        'this complicates processing by the client.'),
    "attributes.canonical-values": ('Additionally, when "canonicalValues" is specified, service providers MAY restrict accepted '
        'values to the specified values.'),
    "attributes.ref-resolves": 'The value MUST be the absolute or relative URI of the target resource.',
    "auth.missing-credentials-401": ('Because this protocol uses HTTP response status codes as the primary means of reporting the result of a request, '
        'servers are advised to respond to unauthorized or unauthenticated requests using the 401 response code in '
        'accordance with Section 3.1 of [RFC7235]. … The resource SHOULD respond with the HTTP 401 (Unauthorized) status code.'),
    "auth.wrong-credentials-401": ('invalid_token  The access token provided is expired, revoked, malformed, or invalid for other '
        'reasons. The resource SHOULD respond with the HTTP 401 (Unauthorized) status code.'),
    "auth.www-authenticate": ('The server generating a 401 response MUST send a WWW-Authenticate header field (Section 4.1) '
        'containing at least one challenge applicable to the target resource.'),
    "auth.401-is-scim-error": ERR_BODY,
    "auth.write-without-credentials-401": ('Because this protocol uses HTTP response status codes as the primary means of reporting the result of a request, '
        'servers are advised to respond to unauthorized or unauthenticated requests using the 401 response code in '
        'accordance with Section 3.1 of [RFC7235]. … The resource SHOULD respond with the HTTP 401 (Unauthorized) status code.'),
    "bulk.posts": ('The service provider MUST continue performing as many changes as possible and disregard partial '
        'failures.'),
    "bulk.bulkid-reference": ('The service provider MUST try to resolve circular cross-references between resources in a single'
        ' bulk job but MAY stop after a failed attempt and instead return HTTP status code 409 '
        '(Conflict).'),
    "bulk.fail-on-errors": ('The service provider MUST continue performing as many changes as possible and disregard partial '
        'failures. The client MAY override this behavior by specifying a value for the "failOnErrors" '
        'attribute.'),
    "bulk.failed-op-error": ('status  The HTTP response status code for the requested operation. When indicating an error, the'
        ' "response" attribute MUST contain the detail error response as per Section 3.12.'),
    "bulk.max-operations-413": ('If either limit is exceeded, the service provider MUST return HTTP response code 413 (Request '
        'Entity Too Large).'),
    "bulk.post-without-bulkid": ('bulkId  A transient identifier of a newly created resource, unique within a bulk request and '
        'created by the client. The bulkId serves as a surrogate resource id enabling clients to uniquely'
        ' identify newly created resources in the response and cross-reference new resources in and '
        'across operations within a bulk request. REQUIRED when "method" is "POST".'),
    "bulk.circular-references": ('The service provider MUST try to resolve circular cross-references between resources in a single'
        ' bulk job but MAY stop after a failed attempt and instead return HTTP status code 409 '
        '(Conflict).'),
    "create.user-201": CREATED_201,
    "create.group-201": CREATED_201,
    "create.location-header": ('The URI of the created resource SHALL include, in the HTTP "Location" header and the HTTP body, '
        'a JSON representation [RFC7159] with the attribute "meta.location".'),
    "create.returns-resource": ("The response body SHOULD contain the service provider's representation of the newly created "
        'resource.'),
    "create.readonly-ignored": READONLY_POST,
    "create.duplicate-username-409": DUP_409,
    "create.duplicate-username-case-409": USERNAME,
    "create.missing-username-400": 'Each User MUST include a non-empty userName value.',
    "create.group-missing-displayname-400": 'displayName  A human-readable name for the Group. REQUIRED.',
    "create.meta-resource-type": ('When adding a resource to a specific endpoint, the meta attribute "resourceType" SHALL be set by'
        ' the HTTP service provider to the corresponding resource type for the endpoint.'),
    "create.null-and-empty-unassigned": ('Unassigned attributes, the null value, or empty array (in the case of a multi-valued attribute) '
        'SHALL be considered to be equivalent in "state".'),
    "create.ids-distinct-stable": ("This identifier MUST be unique across the SCIM service provider's entire set of resources. It "
        'MUST be a stable, non-reassignable identifier that does not change when the same resource is '
        'returned in subsequent requests.'),
    "delete.204-no-body": ('In response to a successful DELETE, the server SHALL return a successful HTTP status code 204 '
        '(No Content).'),
    "delete.gone-afterwards": DELETED_404,
    "delete.not-listed": 'Service providers MUST omit the resource from future query results.',
    "delete.uniqueness-released": ('In addition, the service provider SHOULD NOT consider the deleted resource in conflict '
        'calculation.'),
    "delete.user-leaves-groups": MEMBER_VALUE,
    "discovery.spc-object": ('This endpoint SHALL return responses with a JSON object using a "schemas" attribute of '
        '"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig".'),
    "discovery.spc-members": 'patch  A complex type that specifies PATCH configuration options. REQUIRED.',
    "discovery.auth-scheme-type": ('type  The authentication scheme. This specification defines the values "oauth", "oauth2", '
        '"oauthbearertoken", "httpbasic", and "httpdigest".'),
    "discovery.spc-readable-without-auth": ('To enable seamless discovery of configurations, the service provider SHOULD, with the '
        'appropriate security considerations, make the authenticationSchemes attribute publicly '
        'accessible without prior authentication.'),
    "discovery.unsupported-capability-refused": 'supported  A Boolean value specifying whether or not the operation is supported. REQUIRED.',
    "discovery.resource-types": ('When returning multiple ResourceTypes or Schemas, the message form described by '
        '"urn:ietf:params:scim:api:messages:2.0:ListResponse" (ListResponse) form SHALL be used as shown '
        'in Figure 3 and in Figure 4 below.'),
    "discovery.resource-type-schemas-exist": ('An HTTP GET to the endpoint "/Schemas" SHALL return all supported schemas in ListResponse format'
        ' (see Figure 3).'),
    "discovery.resource-type-endpoints-live": ("endpoint  The resource type's HTTP-addressable endpoint relative to the Base URL of the service "
        'provider, e.g., "Users". REQUIRED.'),
    "discovery.resource-type-by-name": ('SCIM defines three endpoints to facilitate discovery of SCIM service provider features and '
        'schema that MAY be retrieved using HTTP GET: … In cases where a request is for a specific '
        '"ResourceType" or "Schema", the single JSON object is returned in the same way that a single '
        'User or Group is retrieved, as per Section 3.4.1.'),
    "discovery.resource-type-unknown-404": STATUS_SHOULD,
    "discovery.schema-by-id": ('SCIM defines three endpoints to facilitate discovery of SCIM service provider features and '
        'schema that MAY be retrieved using HTTP GET: … In cases where a request is for a specific '
        '"ResourceType" or "Schema", the single JSON object is returned in the same way that a single '
        'User or Group is retrieved, as per Section 3.4.1.'),
    "discovery.schema-unknown-404": STATUS_SHOULD,
    "discovery.attribute-definitions": ('An HTTP GET to the endpoint "/Schemas" SHALL return all supported schemas in ListResponse format'
        ' (see Figure 3). … The contents of each schema returned are described in Section 7 of [RFC7643].'),
    "discovery.no-message-schemas": ('An HTTP GET to the endpoint "/Schemas" SHALL return all supported schemas in ListResponse format'
        ' (see Figure 3).'),
    "discovery.filter-ignored": ('Query parameters described in Section 3.4.2, such as filtering, sorting, and pagination, SHALL '
        'be ignored. If a "filter" is provided, the service provider SHOULD respond with HTTP status code'
        ' 403 (Forbidden) to ensure that clients cannot incorrectly assume that any matching conditions '
        'specified in a filter are true.'),
    "errors.body-shape": ERR_BODY
        + (' … status  The HTTP status code (see Section 6 of [RFC7231]) expressed as a JSON string. '
        'REQUIRED.'),
    "errors.scim-type-vocabulary": 'scimType  A SCIM detail error keyword. See Table 9. OPTIONAL.',
    "errors.detail-useful": 'detail  A detailed human-readable message. OPTIONAL.',
    "errors.invalid-json-400": STATUS_SHOULD,
    "errors.wrong-shape-400": STATUS_SHOULD,
    "errors.wrong-type-boolean": STATUS_SHOULD,
    "errors.wrong-type-multivalued": STATUS_SHOULD,
    "errors.unknown-endpoint-404": STATUS_SHOULD,
    "errors.method-not-allowed": STATUS_SHOULD,
    "errors.unknown-version": STATUS_SHOULD,
    "errors.no-5xx-on-client-mistakes": STATUS_SHOULD,
    "etag.header-present": ETAG_HDR,
    "etag.format": ('If a service provider provides "version" (entity-tag) for a representation and the generation '
        'of that entity-tag does not satisfy all of the characteristics of a strong validator (see Section 2.1 of '
        '[RFC7232]), then the origin server MUST mark the "version" (entity-tag) as weak by prefixing its opaque '
        'value with "W/" (case sensitive).'),
    "etag.changes-on-update": ('An origin server SHOULD change a weak entity-tag whenever it considers prior representations to '
        'be unacceptable as a substitute for the current representation.'),
    "etag.stale-if-match-412": ('An origin server MUST NOT perform the requested method if a received If-Match condition '
        'evaluates to false; instead, the origin server MUST respond with either a) the 412 (Precondition'
        ' Failed) status code or b) one of the 2xx (Successful) status codes if the origin server has '
        'verified that a state change is being requested and the final state is already reflected in the '
        'current state of the target resource (i.e., the change requested by the user agent has already '
        'succeeded, but the user agent might not be aware of it, perhaps because the prior response was '
        'lost or a compatible change was made by some other user agent).'),
    "etag.current-if-match": ('An origin server that receives an If-Match header field MUST evaluate the condition prior to '
        'performing the method (Section 5).'),
    "etag.if-none-match-304": ('An origin server MUST NOT perform the requested method if the condition evaluates to false; '
        'instead, the origin server MUST respond with either a) the 304 (Not Modified) status code if the'
        ' request method is GET or HEAD or b) the 412 (Precondition Failed) status code for all other '
        'request methods.'),
    "extensions.enterprise-round-trip": CREATED_201 + ' … ' + SCHEMAS_ATTR,
    "extensions.manager-display-name-readonly": ("displayName  The displayName of the user's manager. This attribute is OPTIONAL, and mutability "
        'is "readOnly". … ')
        + READONLY_POST,
    "extensions.urn-in-attributes": URN_CLIENT + ' … ' + ATTRS,
    "extensions.manager-by-patch": URN_CLIENT + ' … ' + PATCH_OK,
    "extensions.required-extension": ('If true, a resource of this type MUST include this schema extension and also include any '
        'attributes declared as required in this schema extension.'),
    "extensions.custom-extension": CREATED_201 + ' … ' + SCHEMAS_ATTR,
    "query.no-match-empty-list": NO_MATCH,
    "query.list-response-shape": ('Resources  A multi-valued list of complex objects containing the requested resources. This MAY '
        'be a subset of the full set of resources if pagination (Section 3.4.2.4) is requested. REQUIRED '
        'if "totalResults" is non-zero.'),
    "query.eq-username": f('eq'),
    "query.eq-external-id": f('eq'),
    "query.eq-id": f('eq'),
    "query.eq-emails-value": MULTI_ANY + ' … ' + SHALL_FILTER,
    "query.eq-group-displayname": f('eq'),
    "query.op-ne": f('ne'),
    "query.op-co": f('co'),
    "query.op-sw": f('sw'),
    "query.op-ew": f('ew'),
    "query.op-gt": f('gt'),
    "query.op-ge": f('ge'),
    "query.op-lt": f('lt'),
    "query.op-le": f('le'),
    "query.op-pr": f('pr'),
    "query.case-insensitive-names": 'Attribute names and attribute operators used in filters are case insensitive. … ' + SHALL_FILTER,
    "query.case-insensitive-username-value": CASE_EXACT_FILTER,
    "query.case-exact-external-id": CASE_EXACT_FILTER,
    "query.precedence": 'Filters MUST be evaluated using the following order of operations, in order of precedence:',
    "query.not": 'The filter is only a match if the expression evaluates to false. … '
        + SHALL_FILTER,
    "query.multi-valued-any": MULTI_ANY + ' … ' + SHALL_FILTER,
    "query.value-path-same-value": ('Service providers MAY support complex filters where expressions MUST be applied to the same '
        'value of a parent attribute specified immediately before the left square bracket ("[").'),
    "query.datetime-compare": f('gt'),
    "query.datetime-offset": ('The attribute value MUST be encoded as a valid xsd:dateTime as specified in Section 3.3.7 of '
        '[XML-Schema] and MUST include both a date and a time.'),
    "query.gt-on-boolean-400": ('Boolean and Binary attributes SHALL cause a failed response (HTTP status code 400) with '
        '"scimType" of "invalidFilter".'),
    "query.unknown-operator-400": UNKNOWN_OP,
    "query.syntax-error-400": ABNF + ' … ' + STATUS_SHOULD,
    "query.string-escapes": ABNF + ' … ' + SHALL_FILTER,
    "query.bare-literals": ABNF + ' … ' + SHALL_FILTER,
    "query.urn-core-path": ABNF + ' … attrPath  = [URI ":"] ATTRNAME *1subAttr … ' + SHALL_FILTER,
    "query.urn-extension-path": ABNF + ' … attrPath  = [URI ":"] ATTRNAME *1subAttr … ' + SHALL_FILTER,
    "query.unknown-attribute": ('For filtered attributes that are not part of a particular resource type, the service provider '
        'SHALL treat the attribute as if there is no attribute value.'),
    "query.schemas-eq-extension": ('Clients MAY query by schema or schema extensions by using a filter expression including the '
        '"schemas" attribute (as shown in Figure 2). … ')
        + SHALL_FILTER,
    "query.too-many-or-honest": TOTAL,
    "query.root-filter": ('Queries MAY be performed against a SCIM resource object, a resource type endpoint, or a SCIM '
        'server root.'),
    "query.filter-with-attributes": SHALL_FILTER + ' … ' + ATTRS,
    "query.filter-with-excluded": SHALL_FILTER + ' … ' + EXCLUDED,
    "groups.members-round-trip": CREATED_201
        + (' … members  A list of members of the Group. While values MAY be added or removed, sub-attributes'
        ' of members are "immutable".'),
    "groups.unknown-member": MEMBER_VALUE,
    "groups.member-value-immutable": ('While values MAY be added or removed, sub-attributes of members are "immutable". … immutable  '
        'The attribute MAY be defined at resource creation (e.g., POST) or at record replacement via a '
        'request (e.g., a PUT). The attribute SHALL NOT be updated.'),
    "groups.user-groups-readonly": ('Since this attribute has a mutability of "readOnly", group membership changes MUST be applied '
        'via the "Group" Resource (Section 4.2).'),
    "groups.user-groups-derived": GROUPS_VALUE,
    "groups.excluded-members": EXCLUDED,
    "groups.patch-member-batch": ('If the target location specifies a multi-valued attribute, a new value is added to the '
        'attribute. … ')
        + PATCH_OK,
    "groups.rename": 'If the target location is a single-value attribute, the attributes value is replaced. … ' + PATCH_OK,
    "me.unsupported-501": ('A service provider that does NOT support this feature SHOULD respond with HTTP status code 501 '
        '(Not Implemented).'),
    "me.supported-form": ('A service provider MAY choose to redirect the client using HTTP status code 308 (Permanent '
        'Redirect) to the resource associated with the authenticated subject.'),
    "media.content-type-success": ACCEPT + ' The format defaults to "application/scim+json" if no format is specified.',
    "media.content-type-error": ACCEPT + ' The format defaults to "application/scim+json" if no format is specified.',
    "media.request-scim-json": UTF8,
    "media.request-application-json": ACCEPT,
    "media.accept-scim-json": ACCEPT,
    "media.accept-json": ACCEPT,
    "media.utf8-round-trip": UTF8,
    "media.unknown-params-ignored": ('SCIM service providers MAY support additional query parameters not specified here and SHOULD '
        'ignore any query parameters they do not recognize instead of rejecting the query for versioning '
        'compatibility reasons.'),
    "meta.present": ('Each representation of the resource MUST include a non-empty "id" value. … All "meta" sub-'
        'attributes are assigned by the service provider (have a "mutability" of "readOnly"), and all of '
        'these sub-attributes have a "returned" characteristic of "default".'),
    "meta.last-modified": ('If this resource has never been modified since its initial creation, the value MUST be the same '
        'as the value of "created".'),
    "meta.location-resolves": ('location  The URI of the resource being returned. This value MUST be the same as the "Content-'
        'Location" HTTP response header (see Section 3.1.4.2 of [RFC7231]).'),
    "meta.client-meta-ignored": 'This attribute SHALL be ignored when provided by clients.',
    "meta.external-id-not-invented": ('The value of the "externalId" attribute is always issued by the provisioning client and MUST NOT'
        ' be specified by the service provider.'),
    "schemas.resource-schemas": ('All representations of SCIM schemas MUST include a non-empty array with value(s) of the URIs '
        'supported by that representation. The "schemas" attribute for a resource MUST only contain '
        'values defined as "schema" and "schemaExtensions" for the resource\'s defined "resourceType". '
        'Duplicate values MUST NOT be included.'),
    "schemas.extension-only-with-data": SCHEMAS_ATTR,
    "schemas.unknown-urn-400": STATUS_SHOULD,
    "schemas.missing-base-400": STATUS_SHOULD,
    "pagination.count-limits": COUNT_MAX,
    "pagination.total-results": TOTAL,
    "pagination.count-zero": ('A negative value SHALL be interpreted as "0". A value of "0" indicates that no resource results '
        'are to be returned except for "totalResults".'),
    "pagination.start-index-below-one": 'A value less than 1 SHALL be interpreted as 1.',
    "pagination.page-metadata": PAGE_META,
    "pagination.walk-all": PAGING_MAY,
    "pagination.past-end": TOTAL,
    "pagination.non-numeric-400": STATUS_SHOULD,
    "pagination.max-results-cap": TOTAL,
    "patch.supported": STATUS_SHOULD,
    "patch.missing-schema-400": ('The body of each request MUST contain the "schemas" attribute with the URI value of '
        '"urn:ietf:params:scim:api:messages:2.0:PatchOp". … ')
        + STATUS_SHOULD,
    "patch.empty-operations-400": ('The body of an HTTP PATCH request MUST contain the attribute "Operations", whose value is an '
        'array of one or more PATCH operations. … ')
        + STATUS_SHOULD,
    "patch.unknown-op-400": ('Each PATCH operation object MUST have exactly one "op" member, whose value indicates the '
        'operation to perform and MAY be one of "add", "remove", or "replace". … ')
        + STATUS_SHOULD,
    "patch.json-pointer-path-400": STATUS_SHOULD,
    "patch.ops-in-order": ('Operations are applied sequentially in the order they appear in the array. Each operation in the'
        ' sequence is applied to the target resource; the resulting resource becomes the target of the '
        'next operation. … ')
        + ATOMIC,
    "patch.atomic": ATOMIC,
    "patch.attributes-param-200": 'The server MUST return a 200 OK if the "attributes" parameter is specified in the request.',
    "patch.add-single-valued": 'If the target location specifies a single-valued attribute, the existing value is replaced. … '
        + PATCH_OK,
    "patch.add-multi-valued-appends": ('If the target location specifies a multi-valued attribute, a new value is added to the '
        'attribute. … ')
        + PATCH_OK,
    "patch.add-without-path": ('If omitted, the target location is assumed to be the resource itself. The "value" parameter '
        'contains a set of attributes to be added to the resource. … ')
        + PATCH_OK,
    "patch.missing-value-400": 'The operation MUST contain a "value" member whose content specifies the value to be added. … '
        + STATUS_SHOULD,
    "patch.remove-without-path-400": ('If "path" is unspecified, the operation fails with HTTP status code 400 and a "scimType" error '
        'code of "noTarget". … ')
        + STATUS_SHOULD,
    "patch.remove-attribute": ('If the target location is a multi-valued attribute and no filter is specified, the attribute '
        'and all values are removed, and the attribute SHALL be considered unassigned.'),
    "patch.remove-required-400": ('If an attribute is removed or becomes unassigned and is defined as a required attribute or a '
        'read-only attribute, the server SHALL return an HTTP response status code and a JSON detail '
        'error response as defined in Section 3.12, with a "scimType" error code of "mutability".'),
    "patch.replace-multi-valued": ('If the target location is a multi-valued attribute and no filter is specified, the attribute and'
        ' all values are replaced. … ')
        + PATCH_OK,
    "patch.replace-without-path": ('If the "path" parameter is omitted, the target is assumed to be the resource itself. In this '
        'case, the "value" attribute SHALL contain a list of one or more attributes that are to be '
        'replaced.'),
    "patch.replace-unset-adds": ('If the target location path specifies an attribute that does not exist, the service provider '
        'SHALL treat the operation as an "add".'),
    "patch.replace-complex-merges": ('If the target location specifies a complex attribute, a set of sub-attributes SHALL be specified'
        ' in the "value" parameter, which replaces any existing values or adds where an attribute did not'
        ' previously exist. Sub-attributes that are not specified in the "value" parameter are left '
        'unchanged.'),
    "patch.readonly-400": MUTABILITY_PATCH,
    "patch.wrong-type-400": MUTABILITY_PATCH,
    "patch.unknown-id-404": STATUS_SHOULD,
    "patch.value-path-sub-attribute": ('If the target location is a complex multi-valued attribute with a value selection '
        'filter ("valuePath") and a specific sub-attribute (e.g., "addresses[type eq "work"].streetAddress"), the '
        'matching sub-attribute of all matching records is replaced. … ')
        + PATCH_OK,
    "patch.value-path-no-match-400": ('If the target location is a multi-valued attribute for which a value selection filter '
        '("valuePath") has been supplied and no record match was made, the service provider SHALL '
        'indicate failure by returning HTTP status code 400 and a "scimType" error code of "noTarget".'),
    "patch.remove-value-path": REMOVE_FILTER,
    "patch.remove-email-by-filter": REMOVE_FILTER,
    "patch.remove-absent-member": ('If the target location is a multi-valued attribute and a complex filter is specified comparing a'
        ' "value", the values matched by the filter are removed.'),
    "patch.add-existing-no-op": ('If the target location already contains the value specified, no changes SHOULD be made to the '
        'resource, and a success response SHOULD be returned.'),
    "patch.primary-exclusive": ('For multi-valued attributes, a PATCH operation that sets a value\'s "primary" sub-attribute to '
        '"true" SHALL cause the server to automatically set "primary" to "false" for any other values in '
        'the array.'),
    "patch.malformed-path-400": STATUS_SHOULD,
    "patch.path-case-insensitive": FACETS + ' … ' + PATCH_OK,
    "patch.path-urn-core": URN_CLIENT + ' … ' + PATCH_OK,
    "patch.extension-urn-added": SCHEMAS_ATTR,
    "patch.groups-reflected": GROUPS_VALUE,
    "read.by-id": 'Each representation of the resource MUST include a non-empty "id" value.',
    "read.unknown-id-404": STATUS_SHOULD,
    "read.default-attribute-set": RETURNED_NEVER,
    "read.attributes-param": ATTRS,
    "read.excluded-attributes": EXCLUDED,
    "read.projection-on-list": PARTIAL,
    "read.projection-on-post": PARTIAL,
    "read.projection-on-put": PARTIAL,
    "read.sub-attribute": ATTRS,
    "read.attribute-names-case-insensitive": FACETS + ' … ' + ATTRS,
    "read.attribute-names-urn": URN_CLIENT + ' … ' + ATTRS,
    "read.never-even-when-asked": RETURNED_NEVER,
    "read.returned-request": ('request  The attribute is returned in response to any PUT, POST, or PATCH operations if the '
        'attribute was specified by the client (for example, the attribute was modified). The attribute '
        'is returned in a SCIM query operation only if specified in the "attributes" parameter. … ')
        + ATTRS,
    "read.unassigned-omitted": ('When a resource is expressed in JSON form, unassigned attributes, though they are defined in '
        'schema, MAY be omitted for compactness.'),
    "replace.put-200": PUT_RW,
    "replace.unknown-id-404": ('Because SCIM resource identifiers are assigned by the service provider, HTTP PUT MUST NOT be '
        'used to create new resources. … ')
        + STATUS_SHOULD,
    "replace.readonly-ignored": PUT_RO,
    "replace.multivalued-replaced": PUT_RW,
    "replace.omitted-and-null": ('Attributes whose mutability is "readWrite" that are omitted from the request body MAY be assumed'
        ' to be not asserted by the client. The service provider MAY assume that any existing values are '
        'to be cleared, or the service provider MAY assign a default value to the final resource '
        'representation.'),
    "replace.immutable-change-400": ('immutable  If one or more values are already set for the attribute, the input value(s) MUST '
        'match, or HTTP status code 400 SHOULD be returned with a "scimType" error code of "mutability".'),
    "replace.missing-required-400": 'If an attribute is "required", clients MUST specify the attribute in the PUT request. … '
        + STATUS_SHOULD,
    "replace.body-id-ignored": PUT_RO,
    "replace.username-conflict-409": USERNAME + ' … ' + STATUS_SHOULD,
    "search.supported-or-refused": ('Clients MAY execute queries without passing parameters on the URL by using the HTTP POST verb '
        'combined with the "/.search" path extension.'),
    "search.same-as-get": SEARCH
        + ' … After receiving an HTTP POST request, a response is returned as specified in Section 3.4.2.',
    "search.bad-filter-400": ABNF + ' … ' + STATUS_SHOULD,
    "search.root": ('Clients MAY execute queries without passing parameters on the URL by using the HTTP POST verb '
        'combined with the "/.search" path extension.'),
    "security.tls": ('Therefore, SCIM clients and service providers MUST require the use of a transport-layer security'
        ' mechanism when communicating with SCIM service providers.'),
    "security.password-never-returned": ('The cleartext value or the hashed value of a password SHALL NOT be returnable by a service '
        'provider.'),
    "security.username-precis": ('When comparing Unicode strings such as those in query filters or testing for uniqueness of '
        'usernames and passwords, strings MUST be appropriately prepared before comparison.'),
    "security.filter-injection": SHALL_FILTER,
    "sort.ascending-default": ('If a value for "sortBy" is provided and no "sortOrder" is specified, "sortOrder" SHALL default '
        'to ascending.'),
    "sort.descending": SORT_BY
        + (' … sortOrder  The order in which the "sortBy" parameter is applied. Allowed values are '
        '"ascending" and "descending".'),
    "sort.sub-attribute": SORT_BY
        + (' … If the attribute is complex, the attribute name must be a path to a sub-attribute in standard'
        ' attribute notation (Section 3.10), e.g., "sortBy=name.givenName".'),
    "sort.missing-values": SORT_BY
        + (' … For all attribute types, if there is no data for the specified "sortBy" value, they are '
        'sorted via the "sortOrder" parameter, i.e., they are ordered last if ascending and first if '
        'descending.'),
    "sort.case-insensitive": ('"sortOrder" MUST sort according to the attribute type; i.e., for case-insensitive attributes, '
        'sort the result using case-insensitive Unicode alphabetic sort order with no specific locale '
        'implied, and for case-exact attribute types, sort the result using case-sensitive Unicode '
        'alphabetic sort order.'),
    "sort.multi-valued-primary": SORT_BY
        + (" … if it's a multi-valued attribute, resources are sorted by the value of the primary attribute "
        '(see Section 2.4 of [RFC7643]), if any, or else the first value in the list, if any.'),
    "sort.stable-pages": PAGING_MAY,
    # RFC 9865 (cursor pagination): verbatim in draft-ietf-scim-cursor-pagination-11, the RFC's source; unchecked against the RFC Editor's final wording
    "cursor.config-shape": "A Boolean value specifying support of cursor-based pagination. REQUIRED.",
    "cursor.count-limits": "When specified, the service provider MUST NOT return more although it MAY return fewer results.",
    "cursor.next-cursor": CURSOR_NEXT,
    "cursor.walk-all": CURSOR_NEXT,
    "cursor.invalid-cursor": ("If a service provider encounters invalid pagination query parameters (invalid cursor value, "
                              "count value, etc), or other error conditions, the service provider SHOULD return the "
                              "appropriate HTTP response status code and detailed JSON error response as defined in "
                              "Section 3.12 of [RFC7644]."),
}
