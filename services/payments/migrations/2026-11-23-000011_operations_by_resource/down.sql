DROP INDEX operations_resource;
