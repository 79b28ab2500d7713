"""The models django-scim2 maps: its mixins on a Django user and a group of our own."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django_scim.models import AbstractSCIMGroupMixin, AbstractSCIMUserMixin


class Group(AbstractSCIMGroupMixin):
    name = models.CharField(max_length=150)


class User(AbstractSCIMUserMixin, AbstractUser):
    # The library reads members through ``group.user_set`` and a user's groups through
    # ``scim_groups``: point Django's ``groups`` relation at the SCIM group model.
    groups = models.ManyToManyField(Group, related_name="user_set", blank=True)

    @property
    def scim_groups(self):  # type: ignore[override]
        return self.groups
